export function needsBuild(): boolean;
export function build(): void;
export function webNeedsBuild(): boolean;
export function buildWeb(options?: { required?: boolean }): void;
export function widgetNeedsBuild(): boolean;
export function buildWidget(options?: { required?: boolean }): void;
export function buildIfNeeded(): void;

// The panel's stylesheet, adopted into the widget's shadow root (no <style>, no style attributes: a host
// page's strict Content-Security-Policy needs no 'unsafe-inline').
export const panelCss = (side: 'left' | 'right') => `
.panel{position:absolute;bottom:72px;${side}:0;width:380px;height:min(620px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.2),0 0 0 1px rgba(0,0,0,.06)}
.top{display:flex;align-items:center;gap:12px;padding:16px 12px 16px 18px;background:var(--accent);color:var(--on-accent)}
.heading{flex:1;min-width:0}
h2{margin:0;font-size:17px;font-weight:650;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.who{margin:2px 0 0;font-size:13px}
.close{all:unset;box-sizing:border-box;width:36px;height:36px;border-radius:8px;display:flex;align-items:center;justify-content:center;cursor:pointer;color:inherit}
.close:hover{background:rgba(127,127,127,.25)}
.close:focus-visible,.send:focus-visible{outline:2px solid currentColor;outline-offset:2px}
.close svg,.send svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2.2;stroke-linecap:round;stroke-linejoin:round}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:8px;background:#f8fafc;overscroll-behavior:contain}
.log:focus-visible{outline:2px solid var(--accent);outline-offset:-2px}
.msg{max-width:82%;padding:9px 13px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.from-visitor{align-self:flex-end;background:var(--accent);color:var(--on-accent);border-bottom-right-radius:4px}
.from-ai,.from-agent,.greeting{align-self:flex-start;background:#fff;color:#111827;border:1px solid #e5e7eb;border-bottom-left-radius:4px}
.from-system{align-self:center;max-width:92%;background:#eef2f7;color:#374151;font-size:14px;text-align:center;border-radius:10px}
.sending{opacity:.7}
.failed{outline:2px solid #dc2626}
.by{display:block;font-size:12px;font-weight:650;color:#4b5563;margin-bottom:1px}
.state{display:block;font-size:12px;opacity:.85;margin-top:2px}
.notice{margin:0;padding:8px 16px;font-size:14px;background:#fffbeb;color:#78350f;border-top:1px solid #fde68a}
.handover{margin:0;padding:8px 16px;font-size:14px;background:#ecfdf5;color:#065f46;border-bottom:1px solid #a7f3d0}
.typing{margin:0;padding:2px 18px 6px;font-size:13px;color:#4b5563;background:#f8fafc;min-height:26px}
form{display:flex;gap:8px;align-items:flex-end;padding:12px;border-top:1px solid #e5e7eb;background:#fff}
form.identify{flex-direction:column;align-items:stretch}
label{font-size:14px;font-weight:600;color:#374151}
textarea,input{font:inherit;font-size:16px;color:#111827;background:#fff;border:1px solid #9ca3af;border-radius:12px;padding:9px 12px;margin:0;width:100%}
textarea{flex:1;resize:none;field-sizing:content;min-height:42px;max-height:140px}
textarea:focus,input:focus{outline:2px solid var(--accent);outline-offset:0;border-color:transparent}
.send,.start{all:unset;box-sizing:border-box;display:flex;align-items:center;justify-content:center;height:42px;min-width:42px;border-radius:12px;background:var(--accent);color:var(--on-accent);cursor:pointer;font-weight:600;padding:0 12px}
.start:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel{position:fixed;inset:0;width:100%;height:100%;border-radius:0}}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`;

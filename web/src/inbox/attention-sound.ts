import { useEffect, useRef, useState } from 'preact/hooks';

// An optional chime when a conversation starts waiting for a person. Off by default; the choice
// is kept in this browser. With several tabs open, one plays it: the tab holding a Web Lock
// that every tab asks for (the next in line takes over when that tab closes).

const PREFERENCE = 'parley.attention-sound';
const LEADER_LOCK = 'parley-attention-sound';

let leader = false;
let claimed = false;
let audio: AudioContext | null = null;

function claimLeadership(): void {
  if (claimed) return;
  claimed = true;
  if (!('locks' in navigator)) {
    leader = true;
    return;
  }
  void navigator.locks.request(LEADER_LOCK, () => {
    leader = true;
    // Held for as long as this tab lives.
    return new Promise<never>(() => undefined);
  });
}

function chime(): void {
  audio ??= new AudioContext();
  if (audio.state === 'suspended') void audio.resume();
  const start = audio.currentTime;
  for (const [offset, frequency] of [
    [0, 880],
    [0.16, 1320],
  ] as const) {
    const tone = audio.createOscillator();
    const volume = audio.createGain();
    tone.frequency.value = frequency;
    volume.gain.setValueAtTime(0.0001, start + offset);
    volume.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.25);
    tone.connect(volume).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.3);
  }
}

/** Whether the sound is on, and a switch for it; turning it on plays the chime once (and unlocks audio). */
export function useSoundPreference(): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => localStorage.getItem(PREFERENCE) === 'on');
  const set = (next: boolean) => {
    localStorage.setItem(PREFERENCE, next ? 'on' : 'off');
    setOn(next);
    if (next) chime();
  };
  useEffect(() => {
    claimLeadership();
    // Another tab switched it: follow.
    const changed = (event: StorageEvent) => {
      if (event.key === PREFERENCE) setOn(event.newValue === 'on');
    };
    window.addEventListener('storage', changed);
    return () => window.removeEventListener('storage', changed);
  }, []);
  return [on, set];
}

/** Chimes when `waiting` grows (not on the first count), if the sound is on and this is the playing tab. */
export function useAttentionSound(waiting: number | undefined, on: boolean): void {
  const last = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (waiting === undefined) return;
    const before = last.current;
    last.current = waiting;
    if (on && leader && before !== undefined && waiting > before) chime();
  }, [waiting, on]);
}

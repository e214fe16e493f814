// What the panel says, in the widget's language setting (English when it has no translation).

export interface Words {
  you: string;
  assistant: string;
  team: string;
  notice: string;
  close: string;
  messages: string;
  name: string;
  email: string;
  start: string;
  message: string;
  placeholder: string;
  send: string;
  withTeam: string;
  withAssistant: string;
  away: string;
  handover: string;
  sending: string;
  notSent: string;
  teamTyping: string;
  aiTyping: string;
  cannotStart: string;
  sessionEnded: string;
  failed: string;
  greeting: string;
  /** Asked to wait: seconds (null when the server did not say). */
  wait(seconds: number | null): string;
}

const en: Words = {
  you: 'You',
  assistant: 'Assistant',
  team: 'Team',
  notice: 'Notice',
  close: 'Close chat',
  messages: 'Messages',
  name: 'Your name',
  email: 'Your email',
  start: 'Start chatting',
  message: 'Your message',
  placeholder: 'Write a message…',
  send: 'Send',
  withTeam: 'Our team is on this chat',
  withAssistant: 'Our assistant answers right away',
  away: 'We are away: leave a message',
  handover: 'A person will answer you here.',
  sending: 'Sending…',
  notSent: 'Not sent',
  teamTyping: 'Our team is typing…',
  aiTyping: 'The assistant is writing…',
  cannotStart: 'We could not start the chat. Please try again.',
  sessionEnded: 'Your chat session ended. Please send your message again.',
  failed: 'Your message was not sent. Check your connection and try again.',
  greeting: 'Hi! How can we help?',
  wait: (s) =>
    `You're sending messages faster than we can take them. Please try again in ${s ? (s < 90 ? `${Math.ceil(s)} seconds` : `${Math.ceil(s / 60)} minutes`) : 'a moment'}.`,
};

const it: Words = {
  you: 'Tu',
  assistant: 'Assistente',
  team: 'Staff',
  notice: 'Avviso',
  close: 'Chiudi la chat',
  messages: 'Messaggi',
  name: 'Il tuo nome',
  email: 'La tua email',
  start: 'Inizia la chat',
  message: 'Il tuo messaggio',
  placeholder: 'Scrivi un messaggio…',
  send: 'Invia',
  withTeam: 'Ti risponde il nostro staff',
  withAssistant: 'Il nostro assistente risponde subito',
  away: 'Ora siamo assenti: lascia un messaggio',
  handover: 'Una persona ti risponderà qui.',
  sending: 'Invio…',
  notSent: 'Non inviato',
  teamTyping: 'Lo staff sta scrivendo…',
  aiTyping: "L'assistente sta scrivendo…",
  cannotStart: 'Non è stato possibile avviare la chat. Riprova.',
  sessionEnded: 'La sessione è scaduta. Invia di nuovo il messaggio.',
  failed: 'Messaggio non inviato. Controlla la connessione e riprova.',
  greeting: 'Ciao! Come possiamo aiutarti?',
  wait: (s) =>
    `Stai inviando messaggi troppo in fretta. Riprova tra ${s ? (s < 90 ? `${Math.ceil(s)} secondi` : `${Math.ceil(s / 60)} minuti`) : 'un momento'}.`,
};

const de: Words = {
  you: 'Sie',
  assistant: 'Assistent',
  team: 'Team',
  notice: 'Hinweis',
  close: 'Chat schließen',
  messages: 'Nachrichten',
  name: 'Ihr Name',
  email: 'Ihre E-Mail',
  start: 'Chat starten',
  message: 'Ihre Nachricht',
  placeholder: 'Nachricht schreiben…',
  send: 'Senden',
  withTeam: 'Unser Team ist für Sie da',
  withAssistant: 'Unser Assistent antwortet sofort',
  away: 'Gerade nicht erreichbar: hinterlassen Sie eine Nachricht',
  handover: 'Ein Mensch antwortet Ihnen hier.',
  sending: 'Wird gesendet…',
  notSent: 'Nicht gesendet',
  teamTyping: 'Unser Team schreibt…',
  aiTyping: 'Der Assistent schreibt…',
  cannotStart: 'Der Chat konnte nicht starten. Bitte versuchen Sie es erneut.',
  sessionEnded: 'Ihre Sitzung ist abgelaufen. Bitte senden Sie Ihre Nachricht erneut.',
  failed: 'Nachricht nicht gesendet. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  greeting: 'Hallo! Wie können wir helfen?',
  wait: (s) =>
    `Sie senden Nachrichten schneller, als wir sie annehmen können. Bitte versuchen Sie es in ${s ? (s < 90 ? `${Math.ceil(s)} Sekunden` : `${Math.ceil(s / 60)} Minuten`) : 'einem Moment'} erneut.`,
};

const fr: Words = {
  you: 'Vous',
  assistant: 'Assistant',
  team: 'Équipe',
  notice: 'Information',
  close: 'Fermer la discussion',
  messages: 'Messages',
  name: 'Votre nom',
  email: 'Votre e-mail',
  start: 'Commencer',
  message: 'Votre message',
  placeholder: 'Écrivez un message…',
  send: 'Envoyer',
  withTeam: 'Notre équipe vous répond',
  withAssistant: 'Notre assistant répond tout de suite',
  away: 'Nous sommes absents : laissez un message',
  handover: 'Une personne vous répondra ici.',
  sending: 'Envoi…',
  notSent: 'Non envoyé',
  teamTyping: 'Notre équipe écrit…',
  aiTyping: "L'assistant écrit…",
  cannotStart: "La discussion n'a pas pu démarrer. Réessayez.",
  sessionEnded: 'Votre session a expiré. Envoyez à nouveau votre message.',
  failed: 'Message non envoyé. Vérifiez votre connexion et réessayez.',
  greeting: 'Bonjour ! Comment pouvons-nous vous aider ?',
  wait: (s) =>
    `Vous envoyez des messages trop vite. Réessayez dans ${s ? (s < 90 ? `${Math.ceil(s)} secondes` : `${Math.ceil(s / 60)} minutes`) : 'un instant'}.`,
};

const es: Words = {
  you: 'Tú',
  assistant: 'Asistente',
  team: 'Equipo',
  notice: 'Aviso',
  close: 'Cerrar el chat',
  messages: 'Mensajes',
  name: 'Tu nombre',
  email: 'Tu correo',
  start: 'Empezar a chatear',
  message: 'Tu mensaje',
  placeholder: 'Escribe un mensaje…',
  send: 'Enviar',
  withTeam: 'Nuestro equipo te atiende',
  withAssistant: 'Nuestro asistente responde al momento',
  away: 'Ahora no estamos: deja un mensaje',
  handover: 'Una persona te responderá aquí.',
  sending: 'Enviando…',
  notSent: 'No enviado',
  teamTyping: 'Nuestro equipo está escribiendo…',
  aiTyping: 'El asistente está escribiendo…',
  cannotStart: 'No se pudo iniciar el chat. Inténtalo de nuevo.',
  sessionEnded: 'Tu sesión ha caducado. Envía tu mensaje de nuevo.',
  failed: 'Mensaje no enviado. Comprueba tu conexión e inténtalo de nuevo.',
  greeting: '¡Hola! ¿En qué podemos ayudarte?',
  wait: (s) =>
    `Estás enviando mensajes demasiado rápido. Inténtalo de nuevo en ${s ? (s < 90 ? `${Math.ceil(s)} segundos` : `${Math.ceil(s / 60)} minutos`) : 'un momento'}.`,
};

const languages: Record<string, Words> = { en, it, de, fr, es };

/** `it`, `it-IT` and `IT` all find Italian; anything unknown is English. */
export function wordsFor(language: string | null): Words {
  return languages[(language ?? 'en').slice(0, 2).toLowerCase()] ?? en;
}

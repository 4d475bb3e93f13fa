import { fitsUserStr } from '@callgate/protocol';

/** What the agent sees of the customer: carried in the REQUEST's userStr as JSON. */
export interface CustomerCard {
  name: string;
  question: string;
}

/** Fits the card in userStr (Limits.USER_STR_MAX_BYTES of UTF-8) by shortening the question. */
export function cardText(card: CustomerCard): string {
  let question = card.question;
  for (;;) {
    const text = JSON.stringify({ name: card.name.slice(0, 80), question });
    if (fitsUserStr(text)) return text;
    question = question.slice(0, Math.floor(question.length * 0.9));
  }
}

/** Reads the customer's card from a userStr (plain text from other clients is the question). */
export function readCard(userStr: string, peer: string): CustomerCard {
  try {
    const card = JSON.parse(userStr) as Partial<CustomerCard>;
    if (typeof card.name === 'string' && typeof card.question === 'string') return { name: card.name, question: card.question };
  } catch {
    // Not from the demo page.
  }
  return { name: peer, question: userStr };
}

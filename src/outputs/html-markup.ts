/** Markup built so that no value from outside can become markup: escaping and a tagged template. */
/**
 * Text from outside as inert HTML, safe in element content and in quoted
 * attribute values alike.
 *
 * @example escapeHtml(`<a href="x">Tom & 'Jerry'</a>`) // "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c as keyof typeof ENTITIES]);
}

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" } as const;

/** Markup this module wrote itself; everything else interpolated into `html` is escaped. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Piece = Markup | string | number | boolean | null | undefined | readonly Piece[];

/**
 * A fragment of markup in which every interpolated value is escaped unless it
 * is itself a fragment: no value from an inventory or a feed can become markup
 * by being forgotten. Arrays are joined; null, undefined and false vanish.
 */
export function html(strings: TemplateStringsArray, ...values: Piece[]): Markup {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? "");
  });
  return new Markup(out);
}

function piece(value: Piece): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(piece).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

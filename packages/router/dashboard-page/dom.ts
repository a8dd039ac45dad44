/** Small helpers to build the page's elements; every text goes in as text, never as HTML. */

type Child = Node | string | null | undefined;

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  node.append(...children.filter((c): c is Node | string => c !== null && c !== undefined));
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svgElement(
  tag: keyof SVGElementTagNameMap,
  attributes: Record<string, string | number | undefined> = {},
  ...children: Child[]
): SVGElement {
  const node: SVGElement = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attributes);
  node.append(...children.filter((c): c is Node | string => c !== null && c !== undefined));
  return node;
}

function setAttributes(node: Element, attributes: Record<string, string | number | undefined>): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) node.setAttribute(name, String(value));
  }
}

/** The element with this id; the page is broken without it. */
export function byId<T extends Element = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the dashboard page has no #${id}`);
  return found as unknown as T;
}

/** "1,234" */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

import { describe, expect, it } from "vitest";
import { placeChildren } from "../src/ui/dom";

/** The few Node members placeChildren uses, over an array (vitest runs without a DOM). */
class FakeParent {
  kids: FakeNode[] = [];
  moves = 0;
  get firstChild(): FakeNode | null {
    return this.kids[0] ?? null;
  }
  insertBefore(node: FakeNode, before: FakeNode | null): void {
    this.moves += 1;
    const at = this.kids.indexOf(node);
    if (at >= 0) this.kids.splice(at, 1);
    this.kids.splice(before === null ? this.kids.length : this.kids.indexOf(before), 0, node);
    node.parent = this;
  }
  removeChild(node: FakeNode): void {
    this.moves += 1;
    this.kids.splice(this.kids.indexOf(node), 1);
  }
}

class FakeNode {
  parent: FakeParent | undefined;
  constructor(readonly name: string) {}
  get nextSibling(): FakeNode | null {
    const kids = this.parent?.kids ?? [];
    return kids[kids.indexOf(this) + 1] ?? null;
  }
}

function setup(names: string): { parent: FakeParent; nodes: Map<string, FakeNode> } {
  const parent = new FakeParent();
  const nodes = new Map<string, FakeNode>();
  for (const n of "abcdefgh") nodes.set(n, new FakeNode(n));
  for (const n of names) parent.insertBefore(nodes.get(n) as FakeNode, null);
  parent.moves = 0;
  return { parent, nodes };
}

function place(parent: FakeParent, nodes: Map<string, FakeNode>, names: string): string {
  placeChildren(parent as unknown as Node, [...names].map((n) => nodes.get(n)) as unknown as Node[]);
  return parent.kids.map((k) => k.name).join("");
}

describe("placeChildren", () => {
  it("inserts new nodes without moving those already in place", () => {
    const { parent, nodes } = setup("aceg");
    expect(place(parent, nodes, "abcdefg")).toBe("abcdefg");
    expect(parent.moves).toBe(3);
  });

  it("does nothing when the order is already right", () => {
    const { parent, nodes } = setup("abc");
    expect(place(parent, nodes, "abc")).toBe("abc");
    expect(parent.moves).toBe(0);
  });

  it("removes nodes no longer wanted, wherever they are", () => {
    const { parent, nodes } = setup("abcdef");
    expect(place(parent, nodes, "bdf")).toBe("bdf");
    expect(parent.moves).toBe(3);
  });

  it("reorders", () => {
    const { parent, nodes } = setup("abcd");
    expect(place(parent, nodes, "dcba")).toBe("dcba");
    expect(place(parent, nodes, "")).toBe("");
  });
});

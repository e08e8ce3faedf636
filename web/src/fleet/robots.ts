// The fleet's robot list (pure): bridge URLs as the user types them, in the page's address
// (`?robot=URL&robot=URL`, so a fleet is shared by sharing the link), in localStorage, and from
// the serving bridge's GET /fleet. A robot is its bridge's page URL, token included
// ("http://robot2.local:8080/?token=..."): the link to its full page and the base of its
// /config and /ws.

export const STORAGE_KEY = "chedweb.fleet.robots";

/**
 * A bridge URL in one canonical form, or undefined when it is not one: "robot2.local:8080" gets
 * http:// and a trailing path "/"; only http(s) with a host; no #fragment.
 */
export function normaliseRobotUrl(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") return undefined;
  if (url.username !== "" || url.password !== "") return undefined;
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url.toString();
}

/** Lists joined in order, each robot once (by its canonical URL); what is not a URL is dropped. */
export function mergeRobots(...lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    for (const entry of list) {
      const url = normaliseRobotUrl(entry);
      if (url === undefined || seen.has(url)) continue;
      seen.add(url);
      out.push(url);
    }
  }
  return out;
}

export function robotsFromAddress(address: URL): string[] {
  return mergeRobots(address.searchParams.getAll("robot"));
}

/** The page's address with its `robot` parameters replaced by `robots` (other parameters kept). */
export function addressWithRobots(address: URL, robots: readonly string[]): string {
  const next = new URL(address.toString());
  next.searchParams.delete("robot");
  for (const r of robots) next.searchParams.append("robot", r);
  return next.toString();
}

export function loadStored(storage: Pick<Storage, "getItem">): string[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? "[]");
    return Array.isArray(parsed) ? mergeRobots(parsed.filter((x): x is string => typeof x === "string")) : [];
  } catch {
    return []; // Storage of another version or hand-edited: start empty rather than fail.
  }
}

export function saveStored(storage: Pick<Storage, "setItem">, robots: readonly string[]): void {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(robots));
  } catch {
    // Storage full or disabled (private mode): the address still carries the list.
  }
}

/** What a tile calls a robot until its hello names it: host[:port]. */
export function robotLabel(url: string): string {
  const u = new URL(url);
  return u.port === "" ? u.hostname : `${u.hostname}:${u.port}`;
}

/** The serving bridge itself as a robot: its page URL, with the token the fleet page was given. */
export function selfRobot(address: URL): string {
  const self = new URL("./", address);
  self.search = "";
  const token = address.searchParams.get("token");
  if (token !== null) self.searchParams.set("token", token);
  return self.toString();
}

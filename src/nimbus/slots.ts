/**
 * Free slots and the order the even scheduler hands them out in. Storm's EvenScheduler.sortSlots
 * groups free slots by node, sorts each group by port, orders the groups by how many free slots
 * they have (most first) and interleaves them, so consecutive picks land on different nodes.
 *
 * We keep that order and generalise it in two ways, both of which reduce to Storm's order for a
 * topology placed from nothing:
 *  - two levels, hosts then supervisors within a host: two supervisors on one machine (tests, a
 *    big box split in two) do not spread risk, so they should not count as two places;
 *  - the topology's surviving workers count as picks already made, so a replacement worker goes
 *    to a host that has none of the topology's workers before one that has.
 */
import { compareSlots, compareStrings, type SlotRef } from './assignments.js';

export interface FreeSlot extends SlotRef {
  host: string;
  /** The slot's last worker died there: offered only after every other free slot. */
  suspect: boolean;
}

/** Workers the topology already has, per host and per supervisor. */
export interface SlotLoad {
  hosts: ReadonlyMap<string, number>;
  supervisors: ReadonlyMap<string, number>;
}

const NO_LOAD: SlotLoad = { hosts: new Map(), supervisors: new Map() };

interface Group<T> {
  name: string;
  /** Picks so far (starting from the existing load). */
  picks: number;
  /** Free slots at the start: the tie-break, most first, as in Storm. */
  size: number;
  items: T[];
}

/**
 * The order to hand out `free` in: repeatedly the host with the fewest picks (ties: most free
 * slots, then name), within it the supervisor with the fewest picks (same ties), its lowest
 * free port; suspect slots last. Pure and deterministic.
 */
export function sortSlots(free: readonly FreeSlot[], load: SlotLoad = NO_LOAD): FreeSlot[] {
  const suspect = free.filter((s) => s.suspect).sort((a, b) => compareStrings(a.host, b.host) || compareSlots(a, b));
  const hosts = groups(free.filter((s) => !s.suspect), (s) => s.host, load.hosts).map((h) => ({
    ...h,
    items: groups(h.items, (s) => s.supervisorId, load.supervisors).map((g) => ({ ...g, items: g.items.sort((a, b) => a.port - b.port) })),
  }));
  const out: FreeSlot[] = [];
  for (let host = pick(hosts); host; host = pick(hosts)) {
    const supervisor = pick(host.items)!;
    out.push(supervisor.items.shift()!);
    supervisor.picks++;
    host.picks++;
    if (supervisor.items.length === 0) host.items.splice(host.items.indexOf(supervisor), 1);
    if (host.items.length === 0) hosts.splice(hosts.indexOf(host), 1);
  }
  return [...out, ...suspect];
}

/** The group to take from next: fewest picks, then most free slots, then name. */
function pick<T>(list: ReadonlyArray<Group<T>>): Group<T> | undefined {
  let best: Group<T> | undefined;
  for (const g of list) {
    if (!best || g.picks - best.picks < 0 || (g.picks === best.picks && (g.size > best.size || (g.size === best.size && compareStrings(g.name, best.name) < 0)))) {
      best = g;
    }
  }
  return best;
}

function groups<T>(items: readonly T[], key: (t: T) => string, load: ReadonlyMap<string, number>): Array<Group<T>> {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = byKey.get(k);
    if (g) g.push(item); else byKey.set(k, [item]);
  }
  return [...byKey].map(([name, members]) => ({ name, picks: load.get(name) ?? 0, size: members.length, items: members }));
}

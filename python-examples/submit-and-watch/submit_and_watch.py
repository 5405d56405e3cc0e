"""Submits a topology to a Squall cluster, waits until its spouts have acked enough tuple
trees, prints its statistics, and kills it, using the Python cluster client (squall.client).

    python submit_and_watch.py --nimbus 127.0.0.1:6627

Needs the gRPC extra: pip install './multilang/python[grpc]'.
"""

import argparse
import os
import sys
import time

from squall.client import DEFAULT_NIMBUS, Client, SquallClientError

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nimbus", action="append", help="nimbus host:port (repeatable; default %s)" % DEFAULT_NIMBUS)
    p.add_argument("--topology", default=os.path.join(HERE, "..", "wordcount"), help="topology directory (default: ../wordcount)")
    p.add_argument("--workers", type=int, default=2, help="topology.workers (default 2)")
    p.add_argument("--acked", type=int, default=1000, help="acked tuple trees to wait for (default 1000: the whole word count corpus)")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for them (default 120)")
    return p.parse_args(argv)


def show_cluster(squall):
    summary = squall.cluster_summary()
    leader = next((n for n in summary.nimbuses if n.is_leader), None)
    free = sum(s.slots_free for s in summary.supervisors)
    print("cluster: %d nimbus (leader %s), %d supervisors, %d worker slots free"
          % (len(summary.nimbuses), "%s:%d" % (leader.host, leader.port) if leader else "none", len(summary.supervisors), free))


def show_stats(details):
    print("%-12s %-6s %9s %9s %9s %7s %7s" % ("component", "kind", "emitted", "executed", "acked", "failed", "errors"))
    for c in details.components:
        print("%-12s %-6s %9d %9d %9d %7d %7d" % (c.id, c.kind, c.emitted, c.executed, c.acked, c.failed, c.errors_count))
    print("workers: " + ", ".join("%s:%d" % (w.host, w.port) for w in details.workers))


def progress(threshold):
    """A wait_for predicate that also reports the acked count as it rises."""
    seen = [-1]

    def reached(details):
        if details.spout_acked != seen[0]:
            seen[0] = details.spout_acked
            print("  acked %d of %d (%s)" % (details.spout_acked, threshold, details.status), flush=True)
        return details.spout_acked >= threshold

    return reached


def run(squall, args):
    show_cluster(squall)
    submitted = squall.submit(args.topology, config={"topology.workers": args.workers})
    name = submitted.name
    print("submitted %s as %s (package %d bytes)" % (name, submitted.topology_id, submitted.package_bytes))
    try:
        for t in squall.list():
            print("listed: %s %s, %d workers, %d executors, %d tasks" % (t.name, t.status, t.num_workers, t.num_executors, t.num_tasks))
        started = time.monotonic()
        details = squall.wait_for(name, progress(args.acked), timeout=args.timeout)
        print("acked: %d after %.1f s" % (details.spout_acked, time.monotonic() - started))
        show_stats(details)
    finally:
        # Killed even when waiting failed, so a failed run leaves nothing behind.
        killed = squall.kill(name, wait_secs=0)
        print("killed %s: %s" % (name, "removed" if killed.removed else killed.status))
    left = squall.list()
    print("topologies left: %s" % (", ".join(t.name for t in left) or "none"))
    print("worker slots in use: %d" % sum(s.slots_used for s in squall.cluster_summary().supervisors))


def main(argv=None):
    args = parse_args(argv)
    try:
        with Client(args.nimbus or DEFAULT_NIMBUS) as squall:
            run(squall, args)
    except SquallClientError as e:
        print("error: %s" % e.message, file=sys.stderr)
        if e.hint:
            print("  hint: %s" % e.hint, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

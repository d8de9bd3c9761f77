"""``echosphere bench <scenario>``: the command line of the load generator.

    echosphere bench direct                       # 10 pairs, 5 s, embedded server
    echosphere bench direct --target relay        # the same against the bare relay
    echosphere bench group --members 1000 --senders 10 --duration 10
    echosphere bench direct --target cluster --nodes 2 --rate 2000
    echosphere bench idle --connections 1000 --target http://127.0.0.1:8080 --pid dev=1234

With no options each scenario is a short run that ends well within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from echosphere.bench import report, targets
from echosphere.bench.driver import Pace
from echosphere.bench.report import Result
from echosphere.bench.scenarios import RUNNERS, SCENARIOS, Plan
from echosphere.bench.targets import ServiceUrls, Target, TargetError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser(
        "bench",
        help="run a load scenario against a server and report throughput and latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("scenario", choices=SCENARIOS)
    where = bench.add_argument_group("target")
    where.add_argument(
        "--target", default="embedded", help="embedded (default), cluster, relay, or an API URL"
    )
    where.add_argument("--nodes", type=int, default=2, help="chat nodes of the cluster target")
    where.add_argument("--ws", action="append", default=[], help="a node's websocket URL")
    where.add_argument(
        "--pid", action="append", default=[], help="name=pid of a server process to measure"
    )
    where.add_argument("--redis", help="Redis URL (default: $ECHO_TEST_REDIS_URL)")
    where.add_argument("--amqp", help="RabbitMQ URL (default: $ECHO_TEST_AMQP_URL)")
    where.add_argument("--zookeeper", help="ZooKeeper URL (default: $ECHO_TEST_ZOOKEEPER_URL)")
    where.add_argument("--workdir", type=Path, help="keep started servers' data and logs here")
    load = bench.add_argument_group("load")
    load.add_argument("--pairs", type=int, default=10, help="direct: pairs of users")
    load.add_argument("--members", type=int, default=50, help="group: members")
    load.add_argument("--senders", type=int, default=5, help="group: members who send")
    load.add_argument("--connections", type=int, default=200, help="idle: connections")
    load.add_argument("--messages", type=int, default=2000, help="sync: messages while away")
    load.add_argument("--duration", type=float, default=5.0, help="seconds of sending")
    load.add_argument("--rate", type=float, help="messages/s over all senders (default: max)")
    load.add_argument("--window", type=int, default=4, help="sends in flight per sender")
    load.add_argument("--size", type=int, default=0, help="pad message texts to this length")
    load.add_argument("--drain", type=float, default=10.0, help="seconds to wait for stragglers")
    bench.add_argument("--output", type=Path, help="results file (default: ./bench-*.json)")


def _plan(args: argparse.Namespace) -> Plan:
    pace = Pace(duration=args.duration, rate=args.rate, window=args.window, size=args.size)
    return Plan(
        pace=pace,
        pairs=args.pairs,
        members=args.members,
        senders=min(args.senders, args.members),
        connections=args.connections,
        messages=args.messages,
        drain=args.drain,
    )


def _pids(given: list[str]) -> dict[str, int]:
    pids = {}
    for item in given:
        name, _, pid = item.partition("=")
        if not pid.isdigit():
            raise TargetError(f"--pid: expected name=pid, got {item!r}")
        pids[name] = int(pid)
    return pids


@contextlib.contextmanager
def open_target(args: argparse.Namespace, plan: Plan) -> Iterator[Target]:
    # Servers the bench starts accept a group as large as the plan asks for.
    env = {"ECHO_GROUP_MAX_MEMBERS": str(max(500, plan.members))}
    if args.target == "embedded":
        with targets.embedded(env=env, workdir=args.workdir) as target:
            yield target
    elif args.target == "cluster":
        services = ServiceUrls(args.redis, args.amqp, args.zookeeper)
        with targets.cluster(
            nodes=args.nodes, services=services, env=env, workdir=args.workdir
        ) as target:
            yield target
    elif args.target == "relay":
        with targets.relay(workdir=args.workdir) as target:
            yield target
    else:
        with targets.given(args.target, ws=args.ws, pids=_pids(args.pid)) as target:
            yield target


def _announce(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


async def run_scenario(scenario: str, target: Target, plan: Plan) -> Result:
    return await RUNNERS[scenario](target, plan, _announce)


def run(args: argparse.Namespace) -> int:
    """Run the scenario the arguments name; the exit status."""
    logging.getLogger("echosphere.client").setLevel(logging.WARNING)
    plan = _plan(args)
    try:
        _announce(f"starting the {args.target} target")
        with open_target(args, plan) as target:
            result = asyncio.run(run_scenario(args.scenario, target, plan))
    except TargetError as error:
        print(f"echosphere bench: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"echosphere bench: {error}", file=sys.stderr)
        return 2
    print(report.table(result))
    path = report.write_json([result], args.output or report.default_output(args.scenario))
    print(f"  results written to {os.path.relpath(path)}")
    return 0

"""Test servers from the command line.

python -m tests.hosts build | image | start NAME [-p PORT ...] | stop NAME | list | info NAME | ssh NAME
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from tests import hosts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hosts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build the base and services images when their inputs changed")
    commands.add_parser("image", help="print the services image tag (building it when needed)")
    start = commands.add_parser("start", help="start a test server and print its connection details as JSON")
    start.add_argument("name")
    start.add_argument(
        "-p",
        "--port",
        type=int,
        action="append",
        default=[],
        help="container port to publish on 127.0.0.1 (repeatable); 22 always is",
    )
    stop = commands.add_parser("stop", help="remove a test server")
    stop.add_argument("name")
    commands.add_parser("list", help="names of running test servers")
    info = commands.add_parser("info", help="connection details of a running test server")
    info.add_argument("name")
    ssh = commands.add_parser("ssh", help="open an SSH session to a test server (host key pinned)")
    ssh.add_argument("name")
    ssh.add_argument("remote", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.command in {"build", "image"}:
        print(hosts.build())
    elif args.command == "start":
        print(json.dumps(asdict(hosts.start(args.name, ports=args.port)), indent=2))
    elif args.command == "stop":
        hosts.stop(args.name)
    elif args.command == "list":
        print("\n".join(hosts.running()))
    elif args.command == "info":
        print(json.dumps(asdict(hosts.info(args.name)), indent=2))
    elif args.command == "ssh":
        command = hosts.info(args.name).ssh_command()
        os.execvp(command[0], [*command, *args.remote])
    return 0


if __name__ == "__main__":
    sys.exit(main())

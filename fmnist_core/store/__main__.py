"""python -m fmnist_core.store [du | housekeep | clear BROWSER_ID | clear-all]: the run store's housekeeping."""
import json
import sys

from fmnist_core.store.per_browser import get_store


def main(args: list[str]) -> None:
    s, args = get_store(), args or ["du"]
    if args[0] == "du":
        print(json.dumps({"root": str(s.root), **s.usage()}))
    elif args[0] == "housekeep":
        print(json.dumps([e.__dict__ for e in s.housekeep()]))
    elif args[0] == "clear" and len(args) == 2:
        s.clear(args[1])
    elif args[0] == "clear-all":
        for b in s.browsers():
            s.clear(b)
    else:
        sys.exit("usage: python -m fmnist_core.store [du | housekeep | clear BROWSER_ID | clear-all]")


if __name__ == "__main__":
    main(sys.argv[1:])

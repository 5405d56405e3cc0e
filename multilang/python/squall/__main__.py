"""``python3 -m squall module:ClassName`` runs a component defined in a module (the
current directory is on ``sys.path``), so one file can hold several components:

.. code-block:: yaml

    bolts:
      - id: split
        shell: [python3, -m, squall, components:SplitBolt]
"""

import importlib
import os
import sys

from . import Component, protect_stdio, run


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 1 and " " in args[0]:
        args = args[0].split()  # a Storm ShellComponent passes its script as one argument
    if len(args) != 1 or ":" not in args[0]:
        sys.stderr.write("usage: python3 -m squall module:ClassName\n")
        return 2
    module_name, _, class_name = args[0].partition(":")
    protect_stdio()  # before the user's module runs: even its import-time prints are safe
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as e:
        sys.stderr.write("squall: cannot load %s: %s\n" % (args[0], e))
        return 2
    if not (isinstance(cls, type) and issubclass(cls, Component)):
        sys.stderr.write("squall: %s is not a Spout or Bolt class\n" % args[0])
        return 2
    return run(cls)


if __name__ == "__main__":
    sys.exit(main())

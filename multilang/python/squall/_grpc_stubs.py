"""The generated protobuf module for ``proto/squall/v1/component.proto``.

The stubs are generated when the package is built (``setup.py``), so a source checkout has
none. When that checkout shadows the installed package (``PYTHONPATH=multilang/python``, or a
script run from that directory), ``squall.__path__`` is widened to the installed copy so
``squall.v1`` is still found.
"""

import importlib
import pkgutil

import squall

_MODULE = "squall.v1.component_pb2"


def _load():
    try:
        return importlib.import_module(_MODULE)
    except ImportError:
        pass
    squall.__path__ = pkgutil.extend_path(squall.__path__, "squall")
    try:
        return importlib.import_module(_MODULE)
    except ImportError as e:
        raise ImportError(
            "squall.grpc: the generated gRPC stubs (%s) are missing (%s). They are built with "
            "the package: pip install './multilang/python[grpc]' from a Squall checkout "
            "(a source tree on PYTHONPATH has none)" % (_MODULE, e))


pb = _load()

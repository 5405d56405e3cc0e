"""Squall's Python multilang adapter.

Write spouts and bolts as in pystorm/streamparse and run them as subprocesses of Squall
(or Apache Storm): they speak Storm's multilang protocol over stdin/stdout, plus Squall's
negotiated ``batch`` extension when the parent offers it.

.. code-block:: python

    from squall import BasicBolt

    class SplitBolt(BasicBolt):
        def process(self, tup):
            for word in tup.values[0].split():
                self.emit([word])

    if __name__ == "__main__":
        SplitBolt().run()

Standard library only; Python 3.8 or later. Also in this package, imported only when asked for:

* ``squall.topology``: topologies written in Python (``class WordCount(Topology): ...``), for
  ``squall run topology.py`` / ``squall submit topology.py``, or printed in Squall's native
  format by ``python3 -m squall.topology topology.py --yaml``. Standard library only.
* ``squall.grpc`` (the optional ``[grpc]`` extra: ``pip install 'squall[grpc]'``, which also
  generates the protobuf stubs): serves these same Spout and Bolt classes over gRPC,
  ``python -m squall.grpc module:Class``.
* ``squall.client`` (the ``[grpc]`` extra too): drives a cluster - submit, list, describe,
  rebalance, kill - as the ``squall`` command does.

Nothing here imports them, so ``import squall`` works without grpcio.
"""

from .bolt import BasicBolt, Bolt
from .component import Component, Tuple, protect_stdio
from .protocol import ProtocolError
from .spout import Spout

__version__ = "0.1.0"

__all__ = ["Bolt", "BasicBolt", "Spout", "Tuple", "Component", "ProtocolError", "run", "protect_stdio", "__version__"]


def run(component, **kwargs):
    """Runs a component class or instance: ``squall.run(SplitBolt)``. Same as
    ``SplitBolt().run()``; keyword arguments go to :meth:`Component.run`."""
    if isinstance(component, type):
        component = component()
    if not isinstance(component, Component):
        raise TypeError("squall.run() needs a Spout or Bolt class or instance, got %r" % (component,))
    return component.run(**kwargs)

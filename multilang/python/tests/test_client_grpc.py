"""squall.client against in-process gRPC servers playing nimbus: a follower that refuses with
FAILED_PRECONDITION and names the leader (the client follows it, for reads and for an upload,
whose bytes go only to the leader), Squall's error metadata on a refusal, failover past an
unreachable address, and a closed client. Skipped when grpc or the generated stubs
(squall.v1, present only in an installed package) cannot be imported."""

import hashlib
import shutil
import socket
import tempfile
import unittest
from concurrent import futures
from urllib.parse import quote

try:
    import grpc
    from squall.v1 import cluster_pb2 as pb, cluster_pb2_grpc as pb_grpc
except ImportError as missing:  # plain python3, or the source tree shadowing the installed package
    grpc = None
    REASON = "grpc or the generated squall.v1 stubs are not importable (%s)" % missing
else:
    REASON = ""

from squall.client import Client, SquallClientError, pack_topology

from .test_client_package import DSL_TOPOLOGY, write


def refuse(context, status, code, message, **metadata):
    pairs = [("squall-error-code", code)] + [("squall-" + k, quote(v)) for k, v in metadata.items()]
    context.set_trailing_metadata(pairs)
    context.abort(status, message)


def make_servicer(leader_address=None):
    """A nimbus: the leader when leader_address is None, else a follower pointing there."""

    class Nimbus(pb_grpc.NimbusServicer):
        def __init__(self):
            self.calls = []
            self.chunk_bytes = 0

        def _follow(self, context):
            if leader_address:
                refuse(context, grpc.StatusCode.FAILED_PRECONDITION, "E_NOT_LEADER", "this nimbus is not the leader", leader=leader_address)

        def UploadPackage(self, request_iterator, context):
            first = next(request_iterator)
            self.calls.append(("UploadPackage", first.metadata.name))
            self._follow(context)
            context.send_initial_metadata(())  # accepted: now the client streams the bytes
            digest = hashlib.sha256()
            for part in request_iterator:
                digest.update(part.chunk)
                self.chunk_bytes += len(part.chunk)
            if digest.hexdigest() != first.metadata.sha256 or self.chunk_bytes != first.metadata.size:
                refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "E_PACKAGE_MISMATCH", "package bytes do not match")
            return pb.UploadPackageResponse(package_id=first.metadata.sha256)

        def SubmitTopology(self, request, context):
            self.calls.append(("SubmitTopology", request))
            self._follow(context)
            if request.name == "taken":
                refuse(context, grpc.StatusCode.ALREADY_EXISTS, "E_TOPOLOGY_EXISTS", 'a topology named "taken" is running', hint="kill it first")
            return pb.SubmitTopologyResponse(topology_id=request.name + "-1-1")

        def ListTopologies(self, request, context):
            self.calls.append(("ListTopologies", request))
            self._follow(context)
            return pb.ListTopologiesResponse(topologies=[pb.TopologySummary(id="wc-1-1", name="wc", status=pb.TOPOLOGY_STATUS_ACTIVE, num_workers=2)])

        def KillTopology(self, request, context):
            self.calls.append(("KillTopology", request))
            return pb.KillTopologyResponse(topology_id="wc-1-1", status=pb.TOPOLOGY_STATUS_KILLED, removed=request.wait_for_removal)

    return Nimbus()


def serve(servicer):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_NimbusServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, "127.0.0.1:%d" % port


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "127.0.0.1:%d" % port


@unittest.skipIf(grpc is None, REASON)
class AgainstFakeNimbuses(unittest.TestCase):
    def setUp(self):
        self.leader = make_servicer()
        server, self.leader_address = serve(self.leader)
        self.addCleanup(server.stop, None)
        self.follower = make_servicer(self.leader_address)
        server, self.follower_address = serve(self.follower)
        self.addCleanup(server.stop, None)
        self.dir = tempfile.mkdtemp(prefix="squall-client-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_a_follower_sends_reads_and_the_upload_to_the_leader(self):
        write(self.dir, "topology.yaml", "name: wc\n")
        write(self.dir, "big.bin", "y" * 200000)
        with Client(self.follower_address, timeout=5) as squall:
            self.assertEqual([t.name for t in squall.list()], ["wc"])
            self.assertEqual(squall.current_address, self.leader_address, "the leader is remembered")
            result = squall.submit(self.dir, config={"topology.workers": 2, "custom": {"a": [1]}}, inactive=True)
        self.assertEqual((result.name, result.topology_id, result.topology_file), ("wc", "wc-1-1", "topology.yaml"))
        self.assertEqual(self.follower.chunk_bytes, 0, "a refusing nimbus never gets the bytes")
        self.assertEqual(self.leader.chunk_bytes, result.package_bytes)
        submit = [c[1] for c in self.leader.calls if c[0] == "SubmitTopology"][0]
        self.assertEqual(dict(submit.config_overrides), {"topology.workers": "2", "custom": '{"a": [1]}'})
        self.assertTrue(submit.start_inactive)
        self.assertRegex(submit.package_id, "^[0-9a-f]{64}$")

    def test_a_python_topology_is_submitted_as_its_generated_spec(self):
        write(self.dir, "topology.py", DSL_TOPOLOGY)
        with Client(self.leader_address, timeout=5) as squall:
            result = squall.submit(self.dir)
        self.assertEqual((result.name, result.topology_file), ("wordcount", "topology.py.json"))
        submit = [c[1] for c in self.leader.calls if c[0] == "SubmitTopology"][0]
        self.assertEqual((submit.name, submit.topology_file), ("wordcount", "topology.py.json"))
        self.assertEqual(submit.package_id, hashlib.sha256(pack_topology(self.dir).data).hexdigest(), "the package pack_topology makes")

    def test_a_refusal_carries_code_hint_and_status(self):
        write(self.dir, "topology.yaml", "name: taken\n")
        with Client(self.leader_address) as squall:
            with self.assertRaises(SquallClientError) as caught:
                squall.submit(self.dir)
        err = caught.exception
        self.assertEqual((err.code, err.status, err.hint), ("E_TOPOLOGY_EXISTS", "ALREADY_EXISTS", "kill it first"))
        self.assertEqual(err.rpc, "SubmitTopology")

    def test_failover_past_an_unreachable_address_and_kill_arguments(self):
        with Client([closed_port(), self.leader_address], timeout=5) as squall:
            result = squall.kill("wc", wait_secs=0)
            self.assertEqual((result.status, result.removed), ("KILLED", True))
            squall.kill("wc", wait_for_removal=False)
        kills = [c[1] for c in self.leader.calls if c[0] == "KillTopology"]
        self.assertEqual((kills[0].HasField("wait_secs"), kills[0].wait_secs), (True, 0))
        self.assertFalse(kills[1].HasField("wait_secs"), "absent means the topology's own timeout")

    def test_unreachable_and_closed(self):
        address = closed_port()
        squall = Client(address, timeout=5)
        with self.assertRaises(SquallClientError) as caught:
            squall.list()
        self.assertEqual(caught.exception.code, "E_NIMBUS_UNREACHABLE")
        self.assertIn("cannot reach nimbus at %s" % address, caught.exception.message)
        squall.close()
        squall.close()
        with self.assertRaises(SquallClientError) as caught:
            squall.list()
        self.assertEqual(caught.exception.code, "E_ILLEGAL_STATE")


if __name__ == "__main__":
    unittest.main()

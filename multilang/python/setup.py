"""Builds the package, generating the gRPC stubs (``squall/v1/*_pb2*.py``) from the
repository's ``proto/squall/v1/*.proto`` with grpcio-tools, so they are never written by hand
nor committed out of date."""

import glob
import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))


def generate_stubs(out_dir):
    """Runs protoc on every .proto under proto/squall/v1, writing squall/v1/ into out_dir."""
    from grpc_tools import protoc  # a build requirement (pyproject.toml)
    import grpc_tools

    protos = sorted(glob.glob(os.path.join(PROTO_ROOT, "squall", "v1", "*.proto")))
    if not protos:
        raise SystemExit("squall: no .proto files under %s; build from a Squall checkout" % PROTO_ROOT)
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    os.makedirs(os.path.join(out_dir, "squall", "v1"), exist_ok=True)
    for proto in protos:
        args = ["grpc_tools.protoc", "-I" + PROTO_ROOT, "-I" + well_known,
                "--python_out=" + out_dir, "--grpc_python_out=" + out_dir, proto]
        if protoc.main(args) != 0:
            raise SystemExit("squall: protoc failed on %s" % proto)
    init = os.path.join(out_dir, "squall", "v1", "__init__.py")
    if not os.path.exists(init):
        with open(init, "w") as f:
            f.write('"""Generated from proto/squall/v1 by the build; do not edit."""\n')


class BuildPyWithStubs(build_py):
    def run(self):
        super().run()
        generate_stubs(self.build_lib)


setup(cmdclass={"build_py": BuildPyWithStubs})

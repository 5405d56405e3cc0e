"""The word count of topology.yaml, written with Squall's Python DSL:
    npx squall run python-examples/wordcount/topology.py --duration 10s
    python3 -m squall.topology python-examples/wordcount/topology.py --yaml
"""
from squall.topology import Bolt, Spout, Topology, fields, shuffle


class WordCount(Topology):
    name = "wordcount"
    config = {"topology.max.spout.pending": 500}

    sentences = Spout.spec("python3", "sentence_spout.py", outputs=["sentence"])
    split = Bolt.spec("python3", "split_bolt.py", inputs={sentences: shuffle}, outputs=["word"], par=2)
    count = Bolt.spec(
        "python3", "count_bolt.py",
        inputs={split: fields("word")},
        outputs=["word", "count"],
        par=2,
        config={"topology.tick.tuple.freq.secs": 2},
    )

# Benchmark bolt written against Apache Storm's storm.py: split an 8-word sentence, each emit
# waiting for its task ids (storm.py's default). Same logic as test/fixtures/compat.
import storm


class SplitSentenceBolt(storm.BasicBolt):
    def process(self, tup):
        for word in tup.values[0].split(" "):
            storm.emit([word])


SplitSentenceBolt().run()

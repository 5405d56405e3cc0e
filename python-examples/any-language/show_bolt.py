"""Logs what the awk bolt emitted. This one uses the default JSON serializer (with Squall's
batch extension); serializers are chosen per component."""
from squall import BasicBolt


class ShowBolt(BasicBolt):
    def process(self, tup):
        line, number = tup.values
        self.logger.info("line %d: %s", number, line)


if __name__ == "__main__":
    ShowBolt().run()

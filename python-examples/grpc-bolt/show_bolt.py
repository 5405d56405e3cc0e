"""Logs each line it receives (a BasicBolt over stdio)."""
from squall import BasicBolt


class ShowBolt(BasicBolt):
    def process(self, tup):
        number, line = tup.values
        self.logger.info("line %d: %s", number, line)


if __name__ == "__main__":
    ShowBolt().run()

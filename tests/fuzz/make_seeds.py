#!/usr/bin/env python3
"""Write the hostile-size seeds of the feed and OPML fuzz targets.

Small versions (under the 64 KB run.sh gives libFuzzer) of every document in
tests/integration/feedserver.py's hostile_feeds() and hostile_opml(): entity
bombs in attributes and text, copies that multiply, markup and DTDs that cost
an XML parser the square of their size. run.sh adds tests/fuzz/seeds/feed/
to the feed target's corpus and tests/fuzz/seeds/opml/ to the OPML one's;
the targets check the bound feed.h promises (FEED_PARSE_OUT_MAX) on each
input, and libFuzzer's -timeout and -rss_limit_mb catch a parse that is not
linear. Run again after changing the generators:

    python3 tests/fuzz/make_seeds.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import feedserver as fs  # noqa: E402

FEEDS = {
    "attr-16k.xml": fs.attr_bomb(10000, 2000),                  # the report's 16 KB file
    "attr-60k.xml": fs.attr_bomb(30000, 10000),                 # 60 KB -> 300 MB
    "attr-60k-atom.xml": fs.attr_bomb(30000, 10000, "atom"),
    "attr-every-rss.xml": fs.attr_bomb(2000, 2000, "rss", per_attr=20),
    "attr-every-atom.xml": fs.attr_bomb(2000, 2000, "atom", per_attr=20),
    "nested.xml": fs.nested_bomb(1000, 100, 2000),
    "text-60k.xml": fs.text_bomb(30000, 10000),
    "author-copies.xml": fs.amplifier("author", 20000, 5000),
    "base-copies.xml": fs.amplifier("base", 20000, 1500),
    "many-attrs.xml": fs.amplifier("attrs", n=600),
    "deep-namespaces.xml": fs.amplifier("namespaces", n=200, levels=20),
    "entity-markup.xml": fs.amplifier("entity-markup", n=1000),
    "dtd-attlist.xml": fs.dtd_bomb("attlist", 60000),
    "dtd-pe-attlist.xml": fs.dtd_bomb("pe-attlist", 60000),
    "dtd-many-entities.xml": fs.dtd_bomb("many-entities", 60000, big=20000),
    "dtd-forward.xml": fs.dtd_bomb("forward", 60000, big=20000),
}

OPML = {
    "opml-20k.opml": fs.opml_bomb(10000, 2000),                 # the report's 20 KB file
    "opml-60k.opml": fs.opml_bomb(30000, 10000),
    "opml-folder.opml": fs.opml_folder(20000, 1500),
}


def main():
    for sub, docs in (("feed", FEEDS), ("opml", OPML)):
        d = os.path.join(HERE, "seeds", sub)
        os.makedirs(d, exist_ok=True)
        for name, body in docs.items():
            if sub == "feed":
                # fuzz_feed picks an HTTP charset by the first byte (modulo
                # 7); '<' would pick UTF-16 and turn the seed into noise.
                # A leading newline (dropped before parsing) picks
                # windows-1252, which reads ASCII as it is.
                body = b"\n" + body
            if len(body) > 65536:
                sys.exit("%s: %d bytes, over run.sh's -max_len" % (name, len(body)))
            with open(os.path.join(d, name), "wb") as f:
                f.write(body)


if __name__ == "__main__":
    main()

"""A scripted HTTP server on the loopback interface, for tests and benchmarks.

Python standard library only. Binds 127.0.0.1 on an ephemeral port, serves
each connection in its own (daemon) thread, and answers every path from a
script: a sequence of Response objects (each request takes the next one; the
last one repeats) or a function of the request. It records every request and
counts requests in flight per group (by default the Host header's host name,
so "127.0.0.1" and "localhost" are two groups on the same server) so that
tests can check a client's concurrency limits.

Everything is bounded: sockets time out, a stalled response waits on an event
that stop() sets (and never longer than its own delay), and the server stops
on exit from a `with` block.

    with FeedServer() as srv:
        srv.route("/a.xml", Response(body=rss, etag='"v1"'))
        srv.route("/old", Response.redirect(301, "/a.xml"))
        url = srv.url("/old")                # http://127.0.0.1:PORT/old
        ...
        srv.count("/a.xml"), srv.requests, srv.max_in_flight("127.0.0.1")

Run as a program it serves a directory (every file at /NAME, with an ETag
and Last-Modified, gzip when asked) until killed:

    python3 feedserver.py --dir DIR [--port-file FILE]
"""

import email.utils
import gzip as _gzip
import hashlib
import http.server
import os
import socket
import threading
import time
import zlib

__all__ = ["FeedServer", "Response", "rss", "atom", "attr_bomb", "nested_bomb", "text_bomb",
           "opml_bomb", "amplifier", "dtd_bomb", "opml_folder", "hostile_feeds", "hostile_opml"]


class Response:
    """One scripted answer.

    status, body (bytes or str), headers (dict), content_type.
    etag / last_modified: sent, and a request whose If-None-Match matches the
        etag (or, without an etag, whose If-Modified-Since equals
        last_modified) gets 304 Not Modified instead.
    gzip / deflate: encode the body when the client accepts that encoding.
    delay: seconds to wait before answering (to hold requests in flight).
    stall: seconds to wait after the headers, before the body (a server that
        stops sending); trickle: send the body a byte per this many seconds.
    retry_after: sends a Retry-After header (int seconds or a string).
    """

    def __init__(self, status=200, body=b"", headers=None, content_type=None,
                 etag=None, last_modified=None, gzip=False, deflate=False,
                 delay=0.0, stall=0.0, trickle=0.0, retry_after=None):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = dict(headers or {})
        self.content_type = content_type if content_type is not None else (
            "application/rss+xml; charset=utf-8" if status == 200 else "text/plain")
        self.etag = etag
        self.last_modified = last_modified
        self.gzip = gzip
        self.deflate = deflate
        self.delay = delay
        self.stall = stall
        self.trickle = trickle
        self.retry_after = retry_after

    def encoded(self, how):
        """The body gzip- or deflate-encoded (computed once)."""
        cache = self.__dict__.setdefault("_encoded", {})
        if how not in cache:
            cache[how] = _gzip.compress(self.body, 6, mtime=0) if how == "gzip" else zlib.compress(self.body)
        return cache[how]

    @classmethod
    def redirect(cls, status, location):
        return cls(status=status, headers={"Location": location}, content_type="text/plain",
                   body=b"moved\n")

    @classmethod
    def error(cls, status, body=b"error\n", **kw):
        return cls(status=status, body=body, content_type="text/plain", **kw)


def rss(title, items, link="http://example.org/"):
    """An RSS 2.0 document. items: list of dicts with guid, title, link,
    description, pubDate (any may be missing)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
           "<title>%s</title><link>%s</link><description>test</description>" % (title, link)]
    for it in items:
        out.append("<item>")
        for k in ("guid", "title", "link", "description", "pubDate"):
            if k in it:
                out.append("<%s>%s</%s>" % (k, it[k], k))
        out.append("</item>")
    out.append("</channel></rss>\n")
    return "".join(out).encode("utf-8")


def atom(title, entries):
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
           "<title>%s</title><id>urn:test</id><updated>2026-01-01T00:00:00Z</updated>" % title]
    for e in entries:
        out.append("<entry><id>%s</id><title>%s</title><link href=\"%s\"/>"
                   "<updated>%s</updated><summary>%s</summary></entry>"
                   % (e["id"], e["title"], e["link"], e.get("updated", "2026-01-01T00:00:00Z"),
                      e.get("summary", "")))
    out.append("</feed>\n")
    return "".join(out).encode("utf-8")



# ---- hostile documents -------------------------------------------------------
# Entity bombs whose internal-subset entities are referenced where a parser
# may expand them after the parse (attribute values) as well as in element
# text. Each is small on the wire and huge if expanded: hostile_feeds()
# names the feeds, hostile_opml() the subscription lists. Used by
# test_fetch.py and test_cli.py, and written into the fuzz seed corpora by
# tests/fuzz/make_seeds.py.

def _dtd(root, entities):
    """<!DOCTYPE root [...]> declaring entities: list of (name, value)."""
    decls = "".join('<!ENTITY %s "%s">\n' % (n, v) for n, v in entities)
    return '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE %s [\n%s]>\n' % (root, decls)


def attr_bomb(entity_len=100000, refs=20000, fmt="rss", per_attr=None):
    """A feed with one entity of entity_len bytes referenced refs times in
    attribute values: every attribute of every element a feed reader reads
    (link href/rel/type, xml:base, guid isPermaLink, rdf:about, content
    src/type/mode, enclosure url, category term, media:content url...).
    per_attr: references in each attribute (default: all refs in one
    atom:link href, the shape of the original report)."""
    ent = [("a", "x" * entity_len)]
    if per_attr is None:
        href = "&a;" * refs
        if fmt == "atom":
            body = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>bomb</title>'
                    '<link href="%s"/><entry><id>e1</id><title>one</title>'
                    '<link rel="alternate" href="%s"/></entry></feed>\n'
                    % (href[:len(href) // 2 // 3 * 3], href[len(href) // 2 // 3 * 3:]))
            return (_dtd("feed", ent) + body).encode()
        body = ('<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
                '<title>bomb</title><atom:link rel="alternate" href="%s"/>'
                '<item><guid>g1</guid><title>one</title></item></channel></rss>\n' % href)
        return (_dtd("rss", ent) + body).encode()
    r = "&a;" * per_attr
    out = []
    n = 0
    if fmt == "atom":
        out.append('<feed xmlns="http://www.w3.org/2005/Atom" xml:base="%s"'
                   ' xmlns:media="http://search.yahoo.com/mrss/"><title type="%s">t</title>'
                   '<link rel="%s" type="%s" href="%s"/>' % (r, r, r, r, r))
        while n < refs:
            out.append('<entry xml:base="%s"><id>e%d</id><title type="%s" mode="%s">x</title>'
                       '<link rel="%s" type="%s" href="%s" xml:base="%s"/>'
                       '<link href="%s"/><content type="%s" src="%s" mode="%s">c</content>'
                       '<summary type="%s" xml:base="%s">s</summary><category term="%s"/>'
                       '<media:content url="%s"/><author><name>n</name></author></entry>'
                       % (r, n, r, r, r, r, r, r, r, r, r, r, r, r, r, r))
            n += 16 * per_attr
        out.append("</feed>\n")
        return (_dtd("feed", ent) + "".join(out)).encode()
    out.append('<rss version="%s" xmlns:atom="http://www.w3.org/2005/Atom"'
               ' xmlns:media="http://search.yahoo.com/mrss/"'
               ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
               '<channel xml:base="%s"><title>t</title><atom:link rel="%s" type="%s" href="%s"/>'
               % (r, r, r, r, r))
    while n < refs:
        out.append('<item xml:base="%s" rdf:about="%s"><title>x</title><link>l</link>'
                   '<guid isPermaLink="%s">g%d</guid><enclosure url="%s" type="%s"/>'
                   '<category domain="%s">c</category><media:content url="%s"/>'
                   '<atom:link rel="%s" href="%s"/><description xml:base="%s">d</description></item>'
                   % (r, r, r, n, r, r, r, r, r, r, r))
        n += 11 * per_attr
    out.append("</channel></rss>\n")
    return (_dtd("rss", ent) + "".join(out)).encode()


def nested_bomb(inner_len=1000, fan=100, refs=2000):
    """Entities inside entities: b is fan references to a (inner_len bytes),
    referenced refs times in an attribute and in element text."""
    ents = [("a", "y" * inner_len), ("b", "&a;" * fan)]
    r = "&b;" * refs
    body = ('<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>%s</title>'
            '<atom:link href="%s"/><item><title>%s</title><guid isPermaLink="%s">g</guid>'
            '<description>%s</description></item></channel></rss>\n' % (r, r, r, r, r))
    return (_dtd("rss", ents) + body).encode()


def text_bomb(entity_len=100000, refs=20000):
    """The same entity referenced in element text (title, link, guid,
    description, dates) instead of attributes."""
    r = "&a;" * (refs // 5)
    body = ('<rss version="2.0"><channel><title>%s</title><link>%s</link><item>'
            '<title>%s</title><guid>%s</guid><description>%s</description></item>'
            '</channel></rss>\n' % (r, r, r, r, r))
    return (_dtd("rss", [("a", "z" * entity_len)]) + body).encode()


def opml_bomb(entity_len=10000, refs=2000, fields=("title", "text", "xmlUrl", "htmlUrl", "category")):
    """An OPML subscription list whose outlines carry entity references in
    title/text/xmlUrl/htmlUrl/category (a folder outline too)."""
    per = max(1, refs // (len(fields) + 2))
    r = "&a;" * per
    attrs = " ".join('%s="%s"' % (f, r) for f in fields)
    body = ('<opml version="2.0"><head><title>%s</title></head><body>'
            '<outline text="%s" title="%s">'
            '<outline type="rss" %s/></outline>'
            '<outline type="rss" text="ok" xmlUrl="http://example.org/ok.xml"/>'
            '</body></opml>\n' % (r, r, r, attrs))
    if "xmlUrl" not in fields:
        pass
    return (_dtd("opml", [("a", "u" * entity_len)]) + body).encode()


def amplifier(kind, big=60000, n=20000, levels=200):
    """Hostile without entities: one value that applies to many entries, or
    markup that costs an XML parser the square of its length.
    kind: "author" (a big feed author, n entries without one), "base" (a big
    xml:base, under the 64 KiB attribute cap, n relative links), "attrs" (n*10 attributes on one element),
    "namespaces" (levels levels of levels declarations, n*20 prefixed
    elements),
    "entity-markup" (n*5 attributes inside an entity, as character
    references)."""
    if kind == "author":
        return ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><author><name>%s</name>'
                '</author>%s</feed>' % ("n" * big, "<entry/>" * n)).encode()
    if kind == "base":
        return ('<rss version="2.0"><channel xml:base="http://example.com/%s/"><title>t</title>%s'
                '</channel></rss>' % ("p" * big, "<item><link>x</link></item>" * n)).encode()
    if kind == "attrs":
        return ('<rss version="2.0"><channel><title %s>t</title><item><title>kept</title></item>'
                '</channel></rss>' % " ".join('a%d=""' % i for i in range(n * 10))).encode()
    if kind == "namespaces":
        opens = "".join("<q %s>" % " ".join('xmlns:p%d_%d="u"' % (d, i) for i in range(levels))
                        for d in range(levels))
        return ('<rss version="2.0"><channel>%s%s%s</channel></rss>'
                % (opens, "<p0_0:x/>" * (n * 20), "</q>" * levels)).encode()
    if kind == "entity-markup":
        return ('<!DOCTYPE rss [ <!ENTITY m "&#60;i %s&#62;x&#60;/i&#62;"> ]><rss><channel>'
                '<title>&m;</title></channel></rss>'
                % " ".join("a%d=''" % i for i in range(n * 5))).encode()
    raise ValueError(kind)


def dtd_bomb(kind, size=1000000, defaults=2000, big=100000):
    """A DTD that makes the parse itself cost the square of its size.
    kind: "attlist" (2,000 attribute defaults, added to every <i/>),
    "pe-attlist" (the same declared through a parameter entity),
    "many-entities" (thousands of entities, each expanding to 2 MB once,
    each used once in an attribute), "forward" (entities used in entities
    declared after them, the same shape)."""
    head = '<rss version="2.0"><channel><title>t</title>'
    if kind in ("attlist", "pe-attlist"):
        defs = " ".join("a%d CDATA ''" % i for i in range(defaults))
        dtd = ("<!ATTLIST i %s>" % defs if kind == "attlist"
               else '<!ENTITY %% d "<!ATTLIST i %s>"> %%d;' % defs)
        body = "<i/>" * max(1, (size - len(dtd)) // 4)
        return ('<!DOCTYPE rss [%s]>%s%s</channel></rss>' % (dtd, head, body)).encode()
    if kind in ("many-entities", "forward"):
        k = max(1, (size - big) // 100)
        b = '<!ENTITY b "%s">' % ("x" * big)
        decl = "".join('<!ENTITY c%d "%s">' % (i, "&b;" * 20) for i in range(k))
        dtd = b + decl if kind == "many-entities" else decl + b
        refs = "".join('<i a="&c%d;"/>' % i for i in range(k))
        return ('<!DOCTYPE rss [%s]>%s%s<item><title>kept</title></item></channel></rss>'
                % (dtd, head, refs)).encode()
    raise ValueError(kind)


def opml_folder(big=60000, n=20000):
    """A big folder name over n feeds (each gets it as its category)."""
    return ('<opml version="2.0"><body><outline text="%s">%s</outline></body></opml>'
            % ("f" * big, "".join('<outline xmlUrl="u%d"/>' % i for i in range(n)))).encode()


def hostile_feeds():
    """name -> bytes: every hostile feed, the report's two sizes included."""
    return {
        "attr-166k.xml": attr_bomb(100000, 20000),                # 166 KB -> 2 GB
        "attr-166k-atom.xml": attr_bomb(100000, 20000, "atom"),
        "attr-16k.xml": attr_bomb(10000, 2000),                   # 16 KB -> 20 MB
        "attr-every-rss.xml": attr_bomb(20000, 20000, "rss", per_attr=100),
        "attr-every-atom.xml": attr_bomb(20000, 20000, "atom", per_attr=100),
        "nested.xml": nested_bomb(),
        "text-166k.xml": text_bomb(),
        "author-copies.xml": amplifier("author"),
        "base-copies.xml": amplifier("base"),
        "many-attrs.xml": amplifier("attrs"),
        "deep-namespaces.xml": amplifier("namespaces"),
        "entity-markup.xml": amplifier("entity-markup"),
        "dtd-attlist.xml": dtd_bomb("attlist"),
        "dtd-pe-attlist.xml": dtd_bomb("pe-attlist"),
        "dtd-many-entities.xml": dtd_bomb("many-entities"),
        "dtd-forward.xml": dtd_bomb("forward"),
    }


def hostile_opml():
    return {
        "opml-20k.opml": opml_bomb(10000, 2000),                  # 20 KB -> 20 MB title
        "opml-166k.opml": opml_bomb(100000, 20000),
        "opml-folder.opml": opml_folder(),
    }


def _host_of(headers):
    h = headers.get("Host", "")
    if h.startswith("["):
        return h[1:h.find("]")]
    return h.rsplit(":", 1)[0] if ":" in h else h


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "feedserver/1"
    timeout = 15  # per-connection socket timeout: an idle client cannot hold a thread
    # Headers and body go out in separate writes; with Nagle on, the body
    # would wait for the client's delayed ACK (40 ms a response).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        fs = self.server.feedserver
        path = self.path.split("?", 1)[0]
        req = {"path": path, "full_path": self.path, "method": "GET",
               "headers": {k: v for k, v in self.headers.items()},
               "host": _host_of(self.headers), "time": time.monotonic()}
        group = fs.group_of(req)
        fs._enter(req, group)
        try:
            resp = fs._next(path, req)
            self._answer(fs, resp, req)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        finally:
            fs._leave(group)

    def _answer(self, fs, r, req):
        if r is None:
            r = Response.error(404, b"no such path\n")
        if r.delay:
            fs._stop.wait(r.delay)
        status, body, headers = r.status, r.body, dict(r.headers)
        inm = req["headers"].get("If-None-Match")
        ims = req["headers"].get("If-Modified-Since")
        if status == 200 and ((r.etag and inm == r.etag) or
                              (not r.etag and r.last_modified and ims == r.last_modified)):
            status, body = 304, b""
        if r.etag:
            headers["ETag"] = r.etag
        if r.last_modified:
            headers["Last-Modified"] = r.last_modified
        if r.retry_after is not None:
            headers["Retry-After"] = str(r.retry_after)
        accept = req["headers"].get("Accept-Encoding", "")
        if status != 304 and body:
            if r.gzip and "gzip" in accept:
                body = r.encoded("gzip")
                headers["Content-Encoding"] = "gzip"
            elif r.deflate and "deflate" in accept:
                body = r.encoded("deflate")
                headers["Content-Encoding"] = "deflate"
        self.send_response(status)
        if status != 304 and r.content_type:
            headers.setdefault("Content-Type", r.content_type)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        if status == 304 or not body:
            return
        if r.stall:
            if fs._stop.wait(r.stall):
                self.close_connection = True
                return
        if r.trickle:
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                if fs._stop.wait(r.trickle):
                    self.close_connection = True
                    return
        else:
            self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gives up (timeout, body cap, interrupt) resets the
        # connection; that is expected here, not worth a traceback.
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout)):
            return
        super().handle_error(request, client_address)


class FeedServer:
    """See the module docstring. group: a function(request dict) -> key used
    for the in-flight counts (default: the Host header's host name)."""

    def __init__(self, group=None):
        self._routes = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._in_flight = {}
        self._max_in_flight = {}
        self._total_in_flight = 0
        self.max_total_in_flight = 0
        self.requests = []
        self.group_of = group or (lambda req: req["host"])
        self._httpd = None
        self._thread = None
        self.port = None

    # -- lifecycle
    def start(self):
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.feedserver = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                         kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- scripting
    def url(self, path, host="127.0.0.1"):
        return "http://%s:%d%s" % (host, self.port, path)

    def route(self, path, *responses):
        """Answer path with responses in turn (the last repeats), or with
        fn(request) -> Response if given one callable."""
        with self._lock:
            if len(responses) == 1 and callable(responses[0]):
                self._routes[path] = responses[0]
            else:
                self._routes[path] = list(responses)

    def _next(self, path, req):
        with self._lock:
            r = self._routes.get(path)
            if r is None:
                return None
            if callable(r):
                fn = r
            else:
                return r.pop(0) if len(r) > 1 else r[0]
        return fn(req)

    # -- accounting
    def _enter(self, req, group):
        with self._lock:
            self.requests.append(req)
            n = self._in_flight.get(group, 0) + 1
            self._in_flight[group] = n
            self._max_in_flight[group] = max(self._max_in_flight.get(group, 0), n)
            self._total_in_flight += 1
            self.max_total_in_flight = max(self.max_total_in_flight, self._total_in_flight)

    def _leave(self, group):
        with self._lock:
            self._in_flight[group] -= 1
            self._total_in_flight -= 1

    def count(self, path):
        with self._lock:
            return sum(1 for r in self.requests if r["path"] == path)

    def requests_for(self, path):
        with self._lock:
            return [r for r in self.requests if r["path"] == path]

    def max_in_flight(self, group):
        with self._lock:
            return self._max_in_flight.get(group, 0)

    def reset_counts(self):
        with self._lock:
            self.requests = []
            self._max_in_flight = {}
            self.max_total_in_flight = 0


def serve_directory(directory, port_file=None):
    """Serve every regular file in directory at /NAME with an ETag (content
    hash) and Last-Modified (mtime); gzip when the client accepts it."""
    srv = FeedServer().start()
    for name in sorted(os.listdir(directory)):
        p = os.path.join(directory, name)
        if not os.path.isfile(p):
            continue
        with open(p, "rb") as f:
            body = f.read()
        etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
        lm = email.utils.formatdate(os.path.getmtime(p), usegmt=True)
        srv.route("/" + name, Response(body=body, etag=etag, last_modified=lm, gzip=True))
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.port)
        os.rename(tmp, port_file)
    return srv


if __name__ == "__main__":
    import argparse
    import signal
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file")
    ap.add_argument("--max-seconds", type=float, default=3600,
                    help="stop after this long whatever happens (default 3600)")
    a = ap.parse_args()
    s = serve_directory(a.dir, a.port_file)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(a.max_seconds)
    s.stop()

/* Unit tests for the feed parser side: parse.c, html.c, url.c, opml.c.
 * Small inline documents for each format and rule, plus newsboat's fixtures
 * from the shared corpus (BRIEFING_SHARED, default ../shared). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "feed/feed.h"
#include "util/util.h"

/* ---- helpers ------------------------------------------------------------- */

static struct feed_doc *parse_ok(const char *xml, const char *base, const char *charset)
{
	struct feed_doc *d = NULL;
	int rc = feed_parse_buffer(xml, strlen(xml), base, charset, &d);
	assert_int_equal(rc, FEED_OK);
	assert_non_null(d);
	return d;
}

static void assert_str(const char *got, const char *want)
{
	if (!want) {
		if (got)
			fail_msg("want NULL, got \"%s\"", got);
		return;
	}
	if (!got)
		fail_msg("want \"%s\", got NULL", want);
	if (strcmp(got, want) != 0)
		fail_msg("want \"%s\"\n got \"%s\"", want, got);
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	return util_time_from_civil(y, mo, d, h, mi, s);
}

static char *shared_path(const char *rel)
{
	const char *sh = getenv("BRIEFING_SHARED");
	return util_strfmt("%s/%s", sh && *sh ? sh : "../shared", rel);
}

static struct feed_doc *parse_file(const char *rel)
{
	char *path = shared_path(rel);
	char *buf = NULL;
	size_t len = 0;
	if (util_file_read(path, 0, &buf, &len) != 0)
		fail_msg("cannot read %s (set BRIEFING_SHARED)", path);
	struct feed_doc *d = NULL;
	assert_int_equal(feed_parse_buffer(buf, len, NULL, NULL, &d), FEED_OK);
	free(buf);
	free(path);
	return d;
}

/* ---- formats ------------------------------------------------------------- */

static void test_title_escaped_markup(void **state)
{
	(void)state;
	/* stripping tags would leave nothing: keep the decoded text */
	struct feed_doc *d = parse_ok("<rss version=\"2.0\"><channel><title>c</title><item>"
				      "<title>&lt;/example&gt;</title><link>http://e.com/a</link>"
				      "</item></channel></rss>", NULL, NULL);
	assert_str(d->entries[0].title, "</example>");
	feed_doc_free(d);
}

/* RFC 4287 4.1.2: an Atom Entry Document is a feed of one entry; a bare
 * <entry> in no Atom namespace is not a feed. */
static void test_atom_entry_document(void **state)
{
	(void)state;
	struct feed_doc *d = parse_ok("<?xml version=\"1.0\"?>\n"
				      "<entry xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://e.example/\">"
				      "<title>One entry</title><id>urn:uuid:1</id><link href=\"posts/1\"/>"
				      "<updated>2026-02-21T10:00:00Z</updated><author><name>Ada</name></author>"
				      "<summary>Short.</summary></entry>", NULL, NULL);
	assert_int_equal(d->format, FEED_FMT_ATOM10);
	assert_int_equal(d->n_entries, 1);
	assert_str(d->entries[0].title, "One entry");
	assert_str(d->entries[0].guid, "urn:uuid:1");
	assert_str(d->entries[0].link, "https://e.example/posts/1");
	assert_str(d->entries[0].author, "Ada");
	assert_str(d->entries[0].summary, "Short.");
	assert_true(d->entries[0].updated > 0);
	assert_null(d->title);
	assert_int_equal(d->well_formed, 1);
	feed_doc_free(d);
	struct feed_doc *x = NULL;
	const char *bare = "<entry><title>x</title></entry>";
	assert_int_equal(feed_parse_buffer(bare, strlen(bare), NULL, NULL, &x), FEED_ERR_NOT_FEED);
	assert_null(x);
}

static void test_rss20(void **state)
{
	(void)state;
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n"
		"     xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n"
		"<channel><title>Chips &amp; AI</title><link>/news/</link>\n"
		"<description>All the &lt;b&gt;news&lt;/b&gt;</description>\n"
		"<item><title>First</title><link>a/1.html</link>\n"
		"  <guid isPermaLink=\"false\">id-1</guid>\n"
		"  <description>&lt;p&gt;Short &amp;amp; sweet&lt;/p&gt;</description>\n"
		"  <content:encoded><![CDATA[<p>Long</p><p>text&nbsp;here</p>]]></content:encoded>\n"
		"  <dc:creator>Ada</dc:creator>\n"
		"  <pubDate>Sat, 21 Feb 2026 19:00:00 +0100</pubDate></item>\n"
		"<item><title>Second</title><guid>http://example.com/p/2</guid>\n"
		"  <author>ada@example.com (Ada Lovelace)</author>\n"
		"  <dc:date>2026-02-20T10:00:00Z</dc:date></item>\n"
		"<item><title>Third</title><guid isPermaLink=\"false\">not-a-link</guid>\n"
		"  <atom:link rel=\"enclosure\" href=\"http://example.com/a.mp3\"/>\n"
		"  <atom:link rel=\"alternate\" href=\"http://example.com/3\"/></item>\n"
		"</channel></rss>\n";
	struct feed_doc *d = parse_ok(xml, "http://example.com/feed.xml", NULL);
	assert_int_equal(d->format, FEED_FMT_RSS20);
	assert_str(feed_format_name(d->format), "rss20");
	assert_int_equal(d->well_formed, 1);
	assert_null(d->error);
	assert_str(d->title, "Chips & AI");
	assert_str(d->link, "http://example.com/news/");
	assert_str(d->description, "All the news");
	assert_str(d->encoding, "UTF-8");
	assert_int_equal(d->n_entries, 3);
	struct feed_entry *e = &d->entries[0];
	assert_str(e->title, "First");
	assert_str(e->link, "http://example.com/a/1.html");
	assert_str(e->guid, "id-1");
	assert_str(e->summary, "Short & sweet");
	assert_str(e->content, "Long\n\ntext here");
	assert_str(e->author, "Ada");
	assert_true(e->published == utc(2026, 2, 21, 18, 0, 0));
	assert_true(e->updated == 0);
	e = &d->entries[1];
	assert_str(e->link, "http://example.com/p/2"); /* permalink guid */
	assert_str(e->author, "Ada Lovelace");
	assert_true(e->published == utc(2026, 2, 20, 10, 0, 0));
	e = &d->entries[2];
	assert_str(e->link, "http://example.com/3"); /* atom:link alternate only */
	feed_doc_free(d);
}

static void test_rss09x_versions(void **state)
{
	(void)state;
	static const struct {
		const char *version;
		enum feed_format f;
	} cases[] = {
		{ "0.91", FEED_FMT_RSS091 }, { "0.92", FEED_FMT_RSS092 },
		{ "0.94", FEED_FMT_RSS094 }, { "2.0", FEED_FMT_RSS20 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *xml = util_strfmt("<rss version=\"%s\"><channel><title>T</title>"
					"<item><title>I</title><link>http://x/i</link>"
					"<description>D</description></item></channel></rss>",
					cases[i].version);
		struct feed_doc *d = parse_ok(xml, NULL, NULL);
		assert_int_equal(d->format, cases[i].f);
		assert_int_equal(d->n_entries, 1);
		assert_str(d->entries[0].title, "I");
		assert_str(d->entries[0].link, "http://x/i");
		assert_str(d->entries[0].summary, "D");
		assert_null(d->entries[0].guid);
		feed_doc_free(d);
		free(xml);
	}
}

static void test_rdf(void **state)
{
	(void)state;
	const char *rss10 =
		"<?xml version=\"1.0\"?>\n"
		"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"\n"
		"  xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
		"<channel rdf:about=\"http://example.org/rss\"><title>RDF</title>"
		"<link>http://example.org/</link></channel>\n"
		"<item rdf:about=\"http://example.org/1\"><title>One</title>"
		"<link>http://example.org/1</link><dc:date>2008-12-30T07:20:00+01:00</dc:date>"
		"<dc:creator>Bob</dc:creator></item>\n"
		"</rdf:RDF>\n";
	struct feed_doc *d = parse_ok(rss10, NULL, NULL);
	assert_int_equal(d->format, FEED_FMT_RSS10);
	assert_str(d->title, "RDF");
	assert_int_equal(d->n_entries, 1);
	assert_str(d->entries[0].guid, "http://example.org/1");
	assert_str(d->entries[0].author, "Bob");
	assert_true(d->entries[0].published == utc(2008, 12, 30, 6, 20, 0));
	feed_doc_free(d);

	const char *rss090 =
		"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"\n"
		"  xmlns=\"http://my.netscape.com/rdf/simple/0.9/\">\n"
		"<channel><title>Old</title><link>http://old.example/</link></channel>\n"
		"<item><title>A</title><link>http://old.example/a</link></item>\n"
		"<item><title>B</title><link>http://old.example/b</link></item>\n"
		"</rdf:RDF>";
	d = parse_ok(rss090, NULL, NULL);
	assert_int_equal(d->format, FEED_FMT_RSS090);
	assert_int_equal(d->n_entries, 2);
	assert_str(d->entries[1].link, "http://old.example/b");
	feed_doc_free(d);
}

static void test_atom10(void **state)
{
	(void)state;
	const char *xml =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
		"<title type=\"html\">A &amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; &lt;i&gt;feed&lt;/i&gt;</title>\n"
		"<subtitle>plain &lt;not a tag&gt;</subtitle>\n"
		"<link rel=\"self\" href=\"http://example.com/atom\"/>\n"
		"<link rel=\"alternate\" type=\"application/pdf\" href=\"/site.pdf\"/>\n"
		"<link rel=\"alternate\" type=\"text/html\" href=\"/site\"/>\n"
		"<author><name>Feed Author</name></author>\n"
		"<entry><title>One</title><id>tag:example.com,2026:1</id>\n"
		"  <link href=\"/one\"/><link rel=\"related\" href=\"/other\"/>\n"
		"  <author><email>me@example.com</email></author>\n"
		"  <published>2026-02-21T19:00:00Z</published><updated>2026-02-22T08:30:00-05:00</updated>\n"
		"  <summary type=\"text\">x &lt; y</summary>\n"
		"  <content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Hello <b>world</b></p>"
		"<p>again<br/>and again</p></div></content></entry>\n"
		"<entry><title>Two</title><id>urn:2</id>\n"
		"  <content type=\"html\">&lt;script&gt;alert(1)&lt;/script&gt;&lt;p onclick=\"x()\"&gt;Safe&lt;/p&gt;</content></entry>\n"
		"</feed>\n";
	struct feed_doc *d = parse_ok(xml, "http://example.com/feeds/atom", NULL);
	assert_int_equal(d->format, FEED_FMT_ATOM10);
	assert_str(d->title, "A <b>bold</b> feed");
	assert_str(d->description, "plain <not a tag>");
	assert_str(d->link, "http://example.com/site");
	assert_int_equal(d->n_entries, 2);
	struct feed_entry *e = &d->entries[0];
	assert_str(e->guid, "tag:example.com,2026:1");
	assert_str(e->link, "http://example.com/one");
	assert_str(e->author, "me@example.com");
	assert_true(e->published == utc(2026, 2, 21, 19, 0, 0));
	assert_true(e->updated == utc(2026, 2, 22, 13, 30, 0));
	assert_str(e->summary, "x < y");
	assert_str(e->content, "Hello world\n\nagain\nand again");
	e = &d->entries[1];
	assert_str(e->author, "Feed Author"); /* inherited from the feed */
	assert_str(e->content, "Safe");
	assert_null(e->link);
	feed_doc_free(d);
}

static void test_atom03(void **state)
{
	(void)state;
	const char *xml =
		"<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">\n"
		"<title>Old Atom</title><tagline>tag line</tagline>\n"
		"<link rel=\"alternate\" type=\"text/html\" href=\"http://example.org/\"/>\n"
		"<entry><title mode=\"escaped\" type=\"text/html\">&lt;em&gt;Esc&lt;/em&gt;aped</title>\n"
		"  <id>urn:old:1</id><issued>2004-01-01T19:48:21Z</issued><modified>2004-01-02T00:00:00Z</modified>\n"
		"  <created>2003-12-31T00:00:00Z</created>\n"
		"  <content type=\"text/plain\" mode=\"base64\">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</content>\n"
		"  <summary type=\"text/html\" mode=\"escaped\">&lt;p&gt;Sum&lt;/p&gt;</summary></entry>\n"
		"</feed>";
	struct feed_doc *d = parse_ok(xml, NULL, NULL);
	assert_int_equal(d->format, FEED_FMT_ATOM03);
	assert_str(d->description, "tag line");
	assert_str(d->link, "http://example.org/");
	struct feed_entry *e = &d->entries[0];
	assert_str(e->title, "Escaped");
	assert_true(e->published == utc(2004, 1, 1, 19, 48, 21));
	assert_true(e->updated == utc(2004, 1, 2, 0, 0, 0));
	assert_str(e->content, "Example <b>Atom</b>"); /* text/plain: as is */
	assert_str(e->summary, "Sum");
	feed_doc_free(d);
}

static void test_xml_base(void **state)
{
	(void)state;
	const char *xml =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"/blog/\">\n"
		"<link href=\"index.html\"/>\n"
		"<entry xml:base=\"2026/\"><title>e</title><link href=\"post.html\"/></entry>\n"
		"<entry xml:base=\"http://other.example/x/\"><link xml:base=\"../y/\" href=\"z?q=1#f\"/></entry>\n"
		"<entry><link href=\"//cdn.example/abs\"/></entry>\n"
		"</feed>";
	struct feed_doc *d = parse_ok(xml, "https://example.com/feeds/main.xml", NULL);
	assert_str(d->link, "https://example.com/blog/index.html");
	assert_int_equal(d->n_entries, 3);
	assert_str(d->entries[0].link, "https://example.com/blog/2026/post.html");
	assert_str(d->entries[1].link, "http://other.example/y/z?q=1#f");
	assert_str(d->entries[2].link, "https://cdn.example/abs");
	feed_doc_free(d);

	/* RSS link text resolves against xml:base too */
	d = parse_ok("<rss version=\"2.0\"><channel xml:base=\"http://h.example/a/\"><link>b</link>"
		     "<item xml:base=\"c/\"><link>d</link></item></channel></rss>", NULL, NULL);
	assert_str(d->link, "http://h.example/a/b");
	assert_str(d->entries[0].link, "http://h.example/a/c/d");
	feed_doc_free(d);
}

static void test_dates(void **state)
{
	(void)state;
	static const struct {
		const char *el, *text;
		int y, mo, d, h, mi, s;
	} cases[] = {
		{ "pubDate", "Sun, 03 May 2020 14:56:15 -0000", 2020, 5, 3, 14, 56, 15 },
		{ "pubDate", "Thu, 01 Jan 2004 19:48:21 GMT", 2004, 1, 1, 19, 48, 21 },
		{ "pubDate", "Sat, 21 Feb 2026 19:00:00 EST", 2026, 2, 22, 0, 0, 0 },
		{ "dc:date", "2003-12-31T10:14:55Z", 2003, 12, 31, 10, 14, 55 },
		{ "dc:date", "2003-12-31T10:14:55-08:00", 2003, 12, 31, 18, 14, 55 },
		{ "dc:date", "2003-12-31", 2003, 12, 31, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *xml = util_strfmt("<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
					"<channel><item><%s>%s</%s></item></channel></rss>",
					cases[i].el, cases[i].text, cases[i].el);
		struct feed_doc *d = parse_ok(xml, NULL, NULL);
		int64_t want = utc(cases[i].y, cases[i].mo, cases[i].d, cases[i].h, cases[i].mi, cases[i].s);
		if (d->entries[0].published != want)
			fail_msg("%s: got %lld want %lld", cases[i].text,
				 (long long)d->entries[0].published, (long long)want);
		feed_doc_free(d);
		free(xml);
	}
	/* not a date: 0, not a failure */
	struct feed_doc *d = parse_ok("<rss><channel><item><pubDate>soon</pubDate></item></channel></rss>",
				      NULL, NULL);
	assert_true(d->entries[0].published == 0);
	feed_doc_free(d);
}

/* ---- encodings and entities ------------------------------------------------ */

static void test_encodings(void **state)
{
	(void)state;
	/* ISO-8859-1 from the declaration */
	const char latin1[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
			      "<rss><channel><title>Gr\xfc\xdf" "e \x93q\x94</title></channel></rss>";
	struct feed_doc *d = parse_ok(latin1, NULL, NULL);
	assert_str(d->title, "Grüße “q”"); /* 0x93/0x94 read as windows-1252 */
	assert_str(d->encoding, "ISO-8859-1");
	assert_int_equal(d->well_formed, 1);
	feed_doc_free(d);

	/* the HTTP charset wins over the declaration */
	const char utf8_mislabelled[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
					"<rss><channel><title>Grüße</title></channel></rss>";
	d = parse_ok(utf8_mislabelled, NULL, "\"utf-8\"");
	assert_str(d->title, "Grüße");
	assert_str(d->encoding, "UTF-8");
	feed_doc_free(d);

	/* UTF-8 bytes under a single-byte label, from the declaration or from
	 * HTTP: decoded as the bytes say, not as "GrÃ¼ÃŸe" */
	const char *labels[] = { "ISO-8859-1", "windows-1252", "us-ascii" };
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		char *x = util_strfmt("<?xml version=\"1.0\" encoding=\"%s\"?>"
				      "<rss><channel><title>Grüße, Café</title></channel></rss>", labels[i]);
		d = parse_ok(x, NULL, NULL);
		assert_str(d->title, "Grüße, Café");
		assert_str(d->encoding, "UTF-8");
		assert_int_equal(d->well_formed, 1);
		feed_doc_free(d);
		free(x);
	}
	d = parse_ok("<rss><channel><title>Café</title></channel></rss>", NULL, "iso-8859-1");
	assert_str(d->title, "Café");
	feed_doc_free(d);

	/* invalid UTF-8 is repaired, never rejected, and the document says it
	 * was not well-formed (the line of the first bad byte) */
	const char broken[] = "<rss><channel>\n<title>ok \xff\xfe caf\xc3\xa9</title></channel></rss>";
	d = parse_ok(broken, NULL, NULL);
	assert_non_null(d->title);
	assert_true(util_utf8_valid(d->title, strlen(d->title)));
	assert_non_null(strstr(d->title, "café"));
	assert_int_equal(d->well_formed, 0);
	assert_non_null(d->error);
	assert_non_null(strstr(d->error, "line 2: bytes that are not UTF-8"));
	feed_doc_free(d);

	/* a blank line before the declaration (TechCrunch) */
	d = parse_ok("\n  \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
		     "<title>TC</title></channel></rss>", NULL, NULL);
	assert_str(d->title, "TC");
	assert_int_equal(d->well_formed, 1);
	feed_doc_free(d);

	/* UTF-16 with a BOM */
	const char *ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss><channel><title>Wide</title></channel></rss>";
	size_t n = strlen(ascii);
	char *wide = malloc(2 * n + 2);
	wide[0] = (char)0xFF;
	wide[1] = (char)0xFE;
	for (size_t i = 0; i < n; i++) {
		wide[2 + 2 * i] = ascii[i];
		wide[3 + 2 * i] = 0;
	}
	struct feed_doc *w = NULL;
	assert_int_equal(feed_parse_buffer(wide, 2 * n + 2, NULL, NULL, &w), FEED_OK);
	assert_str(w->title, "Wide");
	assert_str(w->encoding, "UTF-16LE");
	feed_doc_free(w);
	free(wide);
}

static void test_entities(void **state)
{
	(void)state;
	/* HTML named entities in XML: decoded, the rest of the text kept */
	struct feed_doc *d = parse_ok("<rss><channel><title>caf&eacute;&nbsp;&mdash; &#233;&#x41; &#146;s &amp;amp; &bogus; end</title>"
				      "</channel></rss>", NULL, NULL);
	/* "&amp;amp;" is text "&amp;", which reads as HTML (as feedparser
	 * reads it), where a no-break space collapses like any space */
	assert_str(d->title, "café — éA ’s & &bogus; end");
	assert_int_equal(d->well_formed, 0); /* undefined entities are an XML error */
	assert_non_null(d->error);
	assert_true(strncmp(d->error, "line 1: ", 8) == 0);
	feed_doc_free(d);

	/* an internal entity: expanded once */
	d = parse_ok("<!DOCTYPE rss [ <!ENTITY id \"tag:example.com,\"> ]>"
		     "<rss><channel><item><guid isPermaLink='false'>&id;2006</guid></item></channel></rss>", NULL, NULL);
	assert_str(d->entries[0].guid, "tag:example.com,2006");
	assert_int_equal(d->well_formed, 1);
	feed_doc_free(d);

	/* a DOCTYPE inside CDATA is not the document's: entities still decoded */
	d = parse_ok("<rss><channel><title>caf&eacute;</title><item><description><![CDATA[<!DOCTYPE html>"
		     "<p>x</p>]]></description><title>na&iuml;ve</title></item></channel></rss>", NULL, NULL);
	assert_str(d->title, "café");
	assert_str(d->entries[0].title, "naïve");
	assert_str(d->entries[0].summary, "x");
	feed_doc_free(d);

	/* an external DTD may declare HTML names: no error, still decoded */
	d = parse_ok("<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\"\n"
		     " \"http://my.netscape.com/publish/formats/rss-0.91.dtd\" >\n"
		     "<rss version=\"0.91\"><channel><title>caf&eacute; &copy;</title></channel></rss>", NULL, NULL);
	assert_str(d->title, "café ©");
	assert_int_equal(d->well_formed, 1);
	feed_doc_free(d);

	/* a bare ampersand */
	d = parse_ok("<rss><channel><link>http://l/get?a=1&b=2</link></channel></rss>", NULL, NULL);
	assert_str(d->link, "http://l/get?a=1&b=2");
	assert_int_equal(d->well_formed, 0);
	feed_doc_free(d);
}

static void test_xxe_and_bombs(void **state)
{
	(void)state;
	const char *xxe =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE rss [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> "
		"<!ENTITY net SYSTEM \"http://127.0.0.1:1/x\"> ]>\n"
		"<rss><channel><title>a&xxe;b&net;c</title></channel></rss>";
	struct feed_doc *d = NULL;
	assert_int_equal(feed_parse_buffer(xxe, strlen(xxe), NULL, NULL, &d), FEED_OK);
	assert_str(d->title, "abc");
	feed_doc_free(d);

	/* external DTDs and parameter entities are not read either: a local
	 * file that declares an entity must not leak into the text */
	char dtd[] = "/tmp/test_feed_dtd_XXXXXX";
	int fd = mkstemp(dtd);
	assert_true(fd >= 0);
	const char *decl = "<!ENTITY secret \"LEAKED\">\n";
	assert_true(write(fd, decl, strlen(decl)) == (ssize_t)strlen(decl));
	close(fd);
	char *ext = util_strfmt("<?xml version=\"1.0\"?>\n<!DOCTYPE rss SYSTEM \"file://%s\" [\n"
				"<!ENTITY %% pe SYSTEM \"file://%s\"> %%pe; ]>\n"
				"<rss><channel><title>x&secret;y</title></channel></rss>", dtd, dtd);
	d = NULL;
	assert_int_equal(feed_parse_buffer(ext, strlen(ext), NULL, NULL, &d), FEED_OK);
	assert_non_null(d->title);
	assert_null(strstr(d->title, "LEAKED"));
	feed_doc_free(d);
	free(ext);
	unlink(dtd);

	struct util_buf b;
	util_buf_init(&b);
	util_buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
	for (int i = 1; i <= 9; i++) {
		util_buf_printf(&b, "<!ENTITY lol%d \"", i);
		for (int k = 0; k < 10; k++)
			if (i == 1)
				util_buf_puts(&b, "&lol;");
			else
				util_buf_printf(&b, "&lol%d;", i - 1);
		util_buf_puts(&b, "\">\n");
	}
	util_buf_puts(&b, "]>\n<rss><channel><title>&lol9;</title><item><title>x&lol9;</title></item></channel></rss>");
	char *bomb = util_buf_steal(&b);
	clock_t t0 = clock();
	d = NULL;
	int rc = feed_parse_buffer(bomb, strlen(bomb), NULL, NULL, &d);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_true(secs < 5.0);
	if (rc == FEED_OK) {
		size_t total = (d->title ? strlen(d->title) : 0);
		for (size_t i = 0; i < d->n_entries; i++)
			total += d->entries[i].title ? strlen(d->entries[i].title) : 0;
		assert_true(total < 200 * 1024); /* 10^9 "lol"s did not happen */
	}
	feed_doc_free(d);
	free(bomb);
}

/* ---- hostile sizes: O(N) whatever the DTD ----------------------------------
 * Each document below is small and would be huge if every entity reference
 * were expanded, or every value copied where it applies. Each is parsed in
 * a child process (killed after CHILD_SECS) that reports how long it took,
 * its peak memory and how many bytes of strings it produced; the bound on
 * those bytes is the one feed.h promises (FEED_PARSE_OUT_MAX). */

#include "sanitized.h"

#define CHILD_SECS 20
#define MAX_SECS 2.0                                      /* each hostile parse */
#define MAX_RSS_KB (SANITIZED ? 2048L * 1024 : 256L * 1024) /* its peak memory */

struct cost {
	int done;             /* the child finished (else it was killed) */
	int rc;
	double secs;
	long rss_kb;          /* the child's peak resident memory */
	size_t out;           /* bytes of strings in the result */
	size_t entries;
	int well_formed;
	size_t longest;       /* the longest string */
};

static void count_str(struct cost *c, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	c->out += n;
	if (n > c->longest)
		c->longest = n;
}

static void doc_cost(struct cost *c, const struct feed_doc *d)
{
	count_str(c, d->title);
	count_str(c, d->link);
	count_str(c, d->description);
	count_str(c, d->encoding);
	count_str(c, d->error);
	for (size_t i = 0; i < d->n_entries; i++) {
		const struct feed_entry *e = &d->entries[i];
		count_str(c, e->guid);
		count_str(c, e->link);
		count_str(c, e->title);
		count_str(c, e->author);
		count_str(c, e->summary);
		count_str(c, e->content);
	}
	c->entries = d->n_entries;
	c->well_formed = d->well_formed;
}

/* Parse buf as a feed (or as OPML) in a child process. */
static struct cost parse_cost(const char *buf, size_t len, int opml)
{
	struct cost c = { 0 };
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		alarm(CHILD_SECS);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (opml) {
			struct feed_opml_entry *e = NULL;
			size_t n = 0;
			c.rc = feed_opml_parse(buf, len, &e, &n);
			for (size_t i = 0; i < n; i++) {
				count_str(&c, e[i].url);
				count_str(&c, e[i].title);
				count_str(&c, e[i].site);
				count_str(&c, e[i].category);
			}
			c.entries = n;
			feed_opml_free(e, n);
		} else {
			struct feed_doc *d = NULL;
			c.rc = feed_parse_buffer(buf, len, "http://example.com/f.xml", NULL, &d);
			if (d)
				doc_cost(&c, d);
			feed_doc_free(d);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		c.secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		c.done = 1;
		if (write(p[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	ssize_t got = read(p[0], &c, sizeof(c));
	close(p[0]);
	if (got != (ssize_t)sizeof(c))
		memset(&c, 0, sizeof(c));
	int status;
	struct rusage ru;
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	c.rss_kb = ru.ru_maxrss;
	return c;
}

/* The promise: finished, in bounded time and memory, with at most
 * FEED_PARSE_OUT_MAX(len) bytes of strings. */
static struct cost assert_linear(const char *what, const char *buf, size_t len, int opml)
{
	struct cost c = parse_cost(buf, len, opml);
	if (!c.done)
		fail_msg("%s (%zu bytes): the parse did not finish in %d s (peak %ld MB)",
			 what, len, CHILD_SECS, c.rss_kb / 1024);
	if (c.secs > MAX_SECS)
		fail_msg("%s (%zu bytes): %.2f s", what, len, c.secs);
	if (c.rss_kb > MAX_RSS_KB)
		fail_msg("%s (%zu bytes): peak memory %ld MB", what, len, c.rss_kb / 1024);
	if (c.out > FEED_PARSE_OUT_MAX(len))
		fail_msg("%s (%zu bytes): %zu bytes of strings (longest %zu), over %zu",
			 what, len, c.out, c.longest, (size_t)FEED_PARSE_OUT_MAX(len));
	return c;
}

/* <!DOCTYPE root [ <!ENTITY name "fill * len"> ]> */
static void put_dtd(struct util_buf *b, const char *root, const char *name, char fill, size_t len)
{
	util_buf_printf(b, "<?xml version=\"1.0\"?>\n<!DOCTYPE %s [\n<!ENTITY %s \"", root, name);
	for (size_t i = 0; i < len; i++)
		util_buf_putc(b, fill);
	util_buf_puts(b, "\">\n]>\n");
}

static void put_refs(struct util_buf *b, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++)
		util_buf_printf(b, "&%s;", name);
}

/* The report's shape: an entity of ent bytes referenced refs times in one
 * link's href (RSS: atom:link in the channel; Atom: the feed's link). */
static char *bomb_href(int atom, size_t ent, size_t refs)
{
	struct util_buf b;
	util_buf_init(&b);
	put_dtd(&b, atom ? "feed" : "rss", "a", 'x', ent);
	if (atom) {
		util_buf_puts(&b, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>bomb</title><link href=\"");
		put_refs(&b, "a", refs);
		util_buf_puts(&b, "\"/><entry><id>e1</id><title>one</title></entry></feed>\n");
	} else {
		util_buf_puts(&b, "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>"
			      "<title>bomb</title><atom:link rel=\"alternate\" href=\"");
		put_refs(&b, "a", refs);
		util_buf_puts(&b, "\"/><item><guid>g1</guid><title>one</title></item></channel></rss>\n");
	}
	return util_buf_steal(&b);
}

/* Every attribute of every element a reader might look at carries per
 * references, over as many entries as it takes to reach refs. */
static char *bomb_every_attr(int atom, size_t ent, size_t per, size_t refs)
{
	struct util_buf r, b;
	util_buf_init(&r);
	put_refs(&r, "a", per);
	const char *x = util_buf_cstr(&r);
	util_buf_init(&b);
	put_dtd(&b, atom ? "feed" : "rss", "a", 'x', ent);
	if (atom) {
		util_buf_printf(&b, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"%s\" "
				"xmlns:media=\"http://search.yahoo.com/mrss/\"><title type=\"%s\">t</title>"
				"<link rel=\"%s\" type=\"%s\" href=\"%s\"/>", x, x, x, x, x);
		for (size_t n = 0; n < refs; n += 16 * per)
			util_buf_printf(&b, "<entry xml:base=\"%s\"><id>e%zu</id><title type=\"%s\" mode=\"%s\">x</title>"
					"<link rel=\"%s\" type=\"%s\" href=\"%s\" xml:base=\"%s\"/><link href=\"%s\"/>"
					"<content type=\"%s\" src=\"%s\" mode=\"%s\">c</content>"
					"<summary type=\"%s\" xml:base=\"%s\">s</summary><category term=\"%s\"/>"
					"<media:content url=\"%s\"/><author><name>n</name></author></entry>",
					x, n, x, x, x, x, x, x, x, x, x, x, x, x, x, x);
		util_buf_puts(&b, "</feed>\n");
	} else {
		util_buf_printf(&b, "<rss version=\"%s\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
				"xmlns:media=\"http://search.yahoo.com/mrss/\" "
				"xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
				"<channel xml:base=\"%s\"><title>t</title><atom:link rel=\"%s\" type=\"%s\" href=\"%s\"/>",
				x, x, x, x, x);
		for (size_t n = 0; n < refs; n += 11 * per)
			util_buf_printf(&b, "<item xml:base=\"%s\" rdf:about=\"%s\"><title>x</title><link>l</link>"
					"<guid isPermaLink=\"%s\">g%zu</guid><enclosure url=\"%s\" type=\"%s\"/>"
					"<category domain=\"%s\">c</category><media:content url=\"%s\"/>"
					"<atom:link rel=\"%s\" href=\"%s\"/><description xml:base=\"%s\">d</description></item>",
					x, x, x, n, x, x, x, x, x, x, x);
		util_buf_puts(&b, "</channel></rss>\n");
	}
	util_buf_free(&r);
	return util_buf_steal(&b);
}

/* Entities in entities: b is fan references to a (inner bytes); refs
 * references to b in attributes and in element text. */
static char *bomb_nested(size_t inner, size_t fan, size_t refs)
{
	struct util_buf r, b;
	util_buf_init(&r);
	put_refs(&r, "b", refs);
	const char *x = util_buf_cstr(&r);
	util_buf_init(&b);
	util_buf_puts(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY a \"");
	for (size_t i = 0; i < inner; i++)
		util_buf_putc(&b, 'y');
	util_buf_puts(&b, "\">\n<!ENTITY b \"");
	put_refs(&b, "a", fan);
	util_buf_puts(&b, "\">\n]>\n");
	util_buf_printf(&b, "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel><title>%s</title>"
			"<atom:link href=\"%s\"/><item><title>%s</title><guid isPermaLink=\"%s\">g</guid>"
			"<description>%s</description></item></channel></rss>\n", x, x, x, x, x);
	util_buf_free(&r);
	return util_buf_steal(&b);
}

/* The same entity in element text instead. */
static char *bomb_text(size_t ent, size_t refs)
{
	struct util_buf r, b;
	util_buf_init(&r);
	put_refs(&r, "a", refs / 5);
	const char *x = util_buf_cstr(&r);
	util_buf_init(&b);
	put_dtd(&b, "rss", "a", 'z', ent);
	util_buf_printf(&b, "<rss version=\"2.0\"><channel><title>%s</title><link>%s</link><item>"
			"<title>%s</title><guid>%s</guid><description>%s</description></item></channel></rss>\n",
			x, x, x, x, x);
	util_buf_free(&r);
	return util_buf_steal(&b);
}

static void test_attribute_entity_bombs(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		int kind, atom;
		size_t ent, per, refs;
	} cases[] = {
		{ "166 KB RSS, 100 KB entity x 20,000 in an href", 0, 0, 100000, 0, 20000 },
		{ "166 KB Atom, 100 KB entity x 20,000 in an href", 0, 1, 100000, 0, 20000 },
		{ "16 KB RSS, 10 KB entity x 2,000 in an href", 0, 0, 10000, 0, 2000 },
		{ "16 KB Atom, 10 KB entity x 2,000 in an href", 0, 1, 10000, 0, 2000 },
		{ "every RSS attribute", 1, 0, 20000, 100, 20000 },
		{ "every Atom attribute", 1, 1, 20000, 100, 20000 },
		{ "small entity, every RSS attribute", 1, 0, 64, 50, 200000 },
		{ "small entity, every Atom attribute", 1, 1, 64, 50, 200000 },
		{ "entities in entities", 2, 0, 1000, 100, 2000 },
		{ "element text", 3, 0, 100000, 0, 20000 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = cases[i].kind == 0 ? bomb_href(cases[i].atom, cases[i].ent, cases[i].refs)
			  : cases[i].kind == 1 ? bomb_every_attr(cases[i].atom, cases[i].ent, cases[i].per, cases[i].refs)
			  : cases[i].kind == 2 ? bomb_nested(cases[i].ent, cases[i].per, cases[i].refs)
			  : bomb_text(cases[i].ent, cases[i].refs);
		size_t len = strlen(doc);
		struct cost c = assert_linear(cases[i].what, doc, len, 0);
		if (c.rc != FEED_OK)
			fail_msg("%s: %s", cases[i].what, feed_strerror(c.rc));
		/* nothing expanded past the entity budget: a bomb's strings are
		 * about as long as the document */
		if (c.out > len + 256 * 1024)
			fail_msg("%s (%zu bytes): %zu bytes of strings", cases[i].what, len, c.out);
		if (cases[i].kind == 0)
			assert_int_equal(c.entries, 1);
		free(doc);
	}

	/* the entries are still read, and the document says what was dropped */
	char *doc = bomb_href(0, 100000, 20000);
	struct feed_doc *d = parse_ok(doc, "http://example.com/f.xml", NULL);
	assert_int_equal(d->n_entries, 1);
	assert_str(d->entries[0].guid, "g1");
	assert_str(d->entries[0].title, "one");
	assert_true(d->link == NULL || strlen(d->link) < 1024);
	assert_int_equal(d->well_formed, 0);
	assert_non_null(d->error);
	assert_non_null(strstr(d->error, "entit"));
	feed_doc_free(d);
	free(doc);
}

static void test_attribute_entities_still_expand(void **state)
{
	(void)state;
	/* internal entities in attributes, nested ones and predefined
	 * references inside them read as libxml2 itself would read them */
	struct feed_doc *d = parse_ok(
		"<!DOCTYPE feed [ <!ENTITY host \"example.org\"> <!ENTITY site \"http://&host;/\">"
		" <!ENTITY q \"a=1&amp;b=2\"> <!ENTITY alt \"alternate\"> ]>"
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"&site;blog/\">"
		"<link rel=\"&alt;\" href=\"index?&q;\"/>"
		"<entry><id>e</id><link rel=\"&alt;\" href=\"&site;p/1\"/></entry></feed>", NULL, NULL);
	assert_str(d->link, "http://example.org/blog/index?a=1&b=2");
	assert_str(d->entries[0].link, "http://example.org/p/1");
	assert_int_equal(d->well_formed, 1);
	feed_doc_free(d);

	d = parse_ok("<!DOCTYPE rss [ <!ENTITY f \"false\"> <!ENTITY v \"0.91\"> ]>"
		     "<rss version=\"&v;\"><channel><item><guid isPermaLink=\"&f;\">http://x/1</guid>"
		     "</item></channel></rss>", NULL, NULL);
	assert_int_equal(d->format, FEED_FMT_RSS091);
	assert_str(d->entries[0].guid, "http://x/1");
	assert_null(d->entries[0].link); /* isPermaLink="false" was read */
	feed_doc_free(d);

	/* element text: nested entities and markup inside them read as text */
	d = parse_ok("<!DOCTYPE rss [ <!ENTITY a \"A&amp;B\"> <!ENTITY b \"[&a;]\"> ]>"
		     "<rss><channel><title>&b; &a;</title></channel></rss>", NULL, NULL);
	assert_str(d->title, "[A&B] A&B");
	feed_doc_free(d);
}

/* Amplification without entities: one value that applies to many entries
 * (the feed's author, an xml:base, an OPML folder's name), and markup that
 * costs libxml2 the square of its length. */
static void test_linear_without_entities(void **state)
{
	(void)state;
	struct util_buf b;
	size_t big = 100000, n = 20000;

	/* a 100 KB feed author, copied to 20,000 entries without one */
	util_buf_init(&b);
	util_buf_puts(&b, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><author><name>");
	for (size_t i = 0; i < big; i++)
		util_buf_putc(&b, 'n');
	util_buf_puts(&b, "</name></author>");
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&b, "<entry><title>e%zu</title></entry>", i);
	util_buf_puts(&b, "</feed>");
	struct cost c = assert_linear("100 KB author x 20,000 entries", b.data, b.len, 0);
	assert_int_equal(c.entries, n);
	/* the copies run out, not the entries' own values */
	struct feed_doc *d = parse_ok(b.data, NULL, NULL);
	assert_non_null(d->entries[0].author);
	assert_null(d->entries[n - 1].author);
	assert_str(d->entries[n - 1].title, "e19999");
	assert_int_equal(d->well_formed, 0);
	assert_non_null(strstr(d->error, "copied"));
	feed_doc_free(d);
	util_buf_free(&b);

	/* a 60 KB xml:base on the channel (under the 64 KiB attribute cap),
	 * 20,000 relative links */
	util_buf_init(&b);
	util_buf_puts(&b, "<rss version=\"2.0\"><channel xml:base=\"http://example.com/");
	for (size_t i = 0; i < 60000; i++)
		util_buf_putc(&b, 'p');
	util_buf_puts(&b, "/\"><title>t</title>");
	for (size_t i = 0; i < n; i++)
		util_buf_printf(&b, "<item><link>x</link><title>i%zu</title></item>", i);
	util_buf_puts(&b, "</channel></rss>");
	c = assert_linear("60 KB xml:base x 20,000 links", b.data, b.len, 0);
	assert_int_equal(c.entries, n);
	d = parse_ok(b.data, NULL, NULL);
	assert_non_null(d->entries[0].link);
	assert_true(strncmp(d->entries[0].link, "http://example.com/ppp", 22) == 0);
	assert_null(d->entries[n - 1].link);
	assert_str(d->entries[n - 1].title, "i19999");
	feed_doc_free(d);
	util_buf_free(&b);

	/* a base on every level an entry's link resolves through */
	util_buf_init(&b);
	util_buf_puts(&b, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://example.com/");
	for (size_t i = 0; i < big / 2; i++)
		util_buf_putc(&b, 'q');
	util_buf_puts(&b, "/\">");
	for (size_t i = 0; i < n; i++)
		util_buf_puts(&b, "<entry xml:base=\"e/\"><link xml:base=\"l/\" href=\"x\"/><id>i</id></entry>");
	util_buf_puts(&b, "</feed>");
	c = assert_linear("50 KB xml:base under 20,000 entries", b.data, b.len, 0);
	assert_int_equal(c.entries, n);
	util_buf_free(&b);

	/* 200,000 attributes on one element: libxml2 compares each with
	 * every other */
	util_buf_init(&b);
	util_buf_puts(&b, "<rss version=\"2.0\"><channel><title");
	for (size_t i = 0; i < 200000; i++)
		util_buf_printf(&b, " a%zu=\"\"", i);
	util_buf_puts(&b, ">t</title><item><title>kept</title></item></channel></rss>");
	assert_linear("200,000 attributes on one element", b.data, b.len, 0);
	util_buf_free(&b);

	/* 200 levels of 200 namespace declarations each, then 400,000
	 * elements whose prefix libxml2 looks up through all of them */
	util_buf_init(&b);
	util_buf_puts(&b, "<rss version=\"2.0\"><channel>");
	for (int lv = 0; lv < 200; lv++) {
		util_buf_puts(&b, "<q");
		for (int i = 0; i < 200; i++)
			util_buf_printf(&b, " xmlns:p%d_%d=\"u\"", lv, i);
		util_buf_puts(&b, ">");
	}
	for (size_t i = 0; i < 400000; i++)
		util_buf_puts(&b, "<p0_0:x/>");
	for (int lv = 0; lv < 200; lv++)
		util_buf_puts(&b, "</q>");
	util_buf_puts(&b, "</channel></rss>");
	assert_linear("40,000 namespaces in scope", b.data, b.len, 0);
	util_buf_free(&b);

	/* markup inside an entity, written with character references */
	util_buf_init(&b);
	util_buf_puts(&b, "<!DOCTYPE rss [ <!ENTITY m \"&#60;i");
	for (size_t i = 0; i < 100000; i++)
		util_buf_printf(&b, " a%zu=''", i);
	util_buf_puts(&b, "&#62;x&#60;/i&#62;\"> ]><rss><channel><title>&m;</title></channel></rss>");
	assert_linear("100,000 attributes inside an entity", b.data, b.len, 0);
	util_buf_free(&b);
}

/* DTDs that make the parse itself cost the square of their size: attribute
 * defaults libxml2 adds to every element (declared directly or through a
 * parameter entity), and many entities that each expand a lot once. */
static void test_dtd_costs(void **state)
{
	(void)state;
	struct util_buf b, defs;
	util_buf_init(&defs);
	for (int i = 0; i < 2000; i++)
		util_buf_printf(&defs, " a%d CDATA ''", i);
	for (int pe = 0; pe < 2; pe++) {
		util_buf_init(&b);
		if (pe)
			util_buf_printf(&b, "<!DOCTYPE rss [<!ENTITY %% d \"<!ATTLIST i%s>\"> %%d;]>", util_buf_cstr(&defs));
		else
			util_buf_printf(&b, "<!DOCTYPE rss [<!ATTLIST i%s>]>", util_buf_cstr(&defs));
		util_buf_puts(&b, "<rss version=\"2.0\"><channel><title>t</title>");
		while (b.len < 1000000)
			util_buf_puts(&b, "<i/>");
		util_buf_puts(&b, "<item><title>kept</title></item></channel></rss>");
		struct cost c = assert_linear(pe ? "2,000 attribute defaults through a parameter entity"
					       : "2,000 attribute defaults on 250,000 elements", b.data, b.len, 0);
		assert_int_equal(c.entries, 1);
		util_buf_free(&b);
	}
	util_buf_free(&defs);

	/* 9,000 entities of 20 references to a 100 KB one (2 MB each, under
	 * libxml2's own limit by the time each is used), declared after or
	 * before it */
	for (int forward = 0; forward < 2; forward++) {
		struct util_buf big;
		util_buf_init(&big);
		util_buf_puts(&big, "<!ENTITY b \"");
		for (int i = 0; i < 100000; i++)
			util_buf_putc(&big, 'x');
		util_buf_puts(&big, "\">");
		util_buf_init(&b);
		util_buf_puts(&b, "<!DOCTYPE rss [");
		if (!forward)
			util_buf_puts(&b, util_buf_cstr(&big));
		for (int i = 0; i < 9000; i++) {
			util_buf_printf(&b, "<!ENTITY c%d \"", i);
			put_refs(&b, "b", 20);
			util_buf_puts(&b, "\">");
		}
		if (forward)
			util_buf_puts(&b, util_buf_cstr(&big));
		util_buf_puts(&b, "]><rss version=\"2.0\"><channel><title>t</title>");
		for (int i = 0; i < 9000; i++)
			util_buf_printf(&b, "<i a=\"&c%d;\"/>", i);
		util_buf_puts(&b, "<item><title>kept</title></item></channel></rss>");
		struct cost c = assert_linear(forward ? "9,000 entities of a 100 KB one declared after them"
					      : "9,000 entities of 20 x a 100 KB one", b.data, b.len, 0);
		assert_int_equal(c.entries, 1);
		util_buf_free(&b);
		util_buf_free(&big);
	}

	/* within the limits, a DTD still works */
	struct feed_doc *d = parse_ok("<!DOCTYPE rss [ <!ATTLIST channel version CDATA '9'>"
				      " <!ENTITY who \"Jo\"> <!ENTITY by \"by &who;\"> ]>"
				      "<rss><channel><title>&by;</title></channel></rss>", NULL, NULL);
	assert_str(d->title, "by Jo");
	assert_int_equal(d->well_formed, 1);
	feed_doc_free(d);
}

static void test_opml_entity_bombs(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		size_t ent, refs;
	} cases[] = {
		{ "20 KB OPML, 10 KB entity x 2,000", 10000, 2000 },
		{ "166 KB OPML, 100 KB entity x 20,000", 100000, 20000 },
	};
	static const char *const attrs[] = { "title", "text", "xmlUrl", "htmlUrl", "category" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct util_buf r, b;
		util_buf_init(&r);
		put_refs(&r, "a", cases[i].refs / 7);
		const char *x = util_buf_cstr(&r);
		util_buf_init(&b);
		put_dtd(&b, "opml", "a", 'u', cases[i].ent);
		util_buf_printf(&b, "<opml version=\"2.0\"><head><title>%s</title></head><body>"
				"<outline text=\"%s\" title=\"%s\"><outline type=\"rss\"", x, x, x);
		for (size_t k = 0; k < 5; k++)
			util_buf_printf(&b, " %s=\"%s\"", attrs[k], x);
		util_buf_puts(&b, "/></outline><outline type=\"rss\" text=\"ok\" "
			      "xmlUrl=\"http://example.org/ok.xml\"/></body></opml>\n");
		struct cost c = assert_linear(cases[i].what, b.data, b.len, 1);
		assert_int_equal(c.rc, FEED_OK);
		if (c.out > b.len + 256 * 1024)
			fail_msg("%s: %zu bytes of strings", cases[i].what, c.out);
		util_buf_free(&b);
		util_buf_free(&r);
	}

	/* a 60 KB folder name (under the 64 KiB attribute cap) over 20,000
	 * feeds */
	struct util_buf b;
	util_buf_init(&b);
	util_buf_puts(&b, "<opml version=\"2.0\"><body><outline text=\"");
	for (size_t i = 0; i < 60000; i++)
		util_buf_putc(&b, 'f');
	util_buf_puts(&b, "\">");
	for (size_t i = 0; i < 20000; i++)
		util_buf_printf(&b, "<outline xmlUrl=\"u%zu\"/>", i);
	util_buf_puts(&b, "</outline></body></opml>");
	struct cost c = assert_linear("60 KB folder x 20,000 feeds", b.data, b.len, 1);
	assert_int_equal(c.entries, 20000);
	/* the copies of the name run out; every feed is still there */
	struct feed_opml_entry *f = NULL;
	size_t nf = 0;
	assert_int_equal(feed_opml_parse(b.data, b.len, &f, &nf), FEED_OK);
	assert_int_equal(nf, 20000);
	assert_non_null(f[0].category);
	assert_null(f[nf - 1].category);
	assert_str(f[nf - 1].url, "u19999");
	feed_opml_free(f, nf);
	util_buf_free(&b);

	/* legitimate entities in OPML attributes still read */
	const char *ok = "<!DOCTYPE opml [ <!ENTITY h \"example.org\"> ]><opml><body>"
			 "<outline text=\"Caf&#233; &amp; &h;\" xmlUrl=\"http://&h;/f?a=1&amp;b=2\"/></body></opml>";
	struct feed_opml_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(feed_opml_parse(ok, strlen(ok), &e, &n), FEED_OK);
	assert_int_equal(n, 1);
	assert_str(e[0].title, "Café & example.org");
	assert_str(e[0].url, "http://example.org/f?a=1&b=2");
	feed_opml_free(e, n);

	/* nesting deeper than 64 is read whole (it was dropped, "imported 0") */
	struct util_buf d;
	util_buf_init(&d);
	util_buf_puts(&d, "<opml version=\"2.0\"><body>");
	for (int i = 0; i < 100; i++)
		util_buf_printf(&d, "<outline text=\"level %d\">", i);
	util_buf_puts(&d, "<outline text=\"Deep\" xmlUrl=\"https://deep.example/f\"/>");
	for (int i = 0; i < 100; i++)
		util_buf_puts(&d, "</outline>");
	util_buf_puts(&d, "</body></opml>");
	char *why = NULL;
	assert_int_equal(feed_opml_parse_ex(d.data, d.len, &e, &n, &why), FEED_OK);
	assert_int_equal(n, 1);
	assert_str(e[0].url, "https://deep.example/f");
	assert_str(e[0].category, "level 99");
	assert_null(why);
	feed_opml_free(e, n);
	/* cut short: what was read, and why the rest was not */
	d.len -= 40;
	assert_int_equal(feed_opml_parse_ex(d.data, d.len, &e, &n, &why), FEED_OK);
	assert_int_equal(n, 1);
	assert_non_null(why);
	free(why);
	feed_opml_free(e, n);
	util_buf_free(&d);
}

struct canceller {
	volatile int *flag;
	int after_ms;
};

static void *cancel_later(void *arg)
{
	struct canceller *k = arg;
	struct timespec ts = { 0, (long)k->after_ms * 1000000L };
	nanosleep(&ts, NULL);
	*k->flag = 1;
	return NULL;
}

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_parse_cancel(void **state)
{
	(void)state;
	/* a large legitimate feed, parsed whole once to see how long it takes */
	struct util_buf b;
	util_buf_init(&b);
	util_buf_puts(&b, "<rss version=\"2.0\"><channel><title>big</title>");
	for (size_t i = 0; b.len < ((size_t)16 << 20); i++)
		util_buf_printf(&b, "<item><guid>g%zu</guid><title>Title %zu</title><link>http://example.com/%zu</link>"
				"<description>&lt;p&gt;Some &lt;b&gt;text&lt;/b&gt; for item %zu.&lt;/p&gt;</description></item>",
				i, i, i, i);
	util_buf_puts(&b, "</channel></rss>");
	struct feed_doc *d = NULL;
	double t0 = mono();
	assert_int_equal(feed_parse_buffer(b.data, b.len, NULL, NULL, &d), FEED_OK);
	double whole = mono() - t0;
	assert_true(d->n_entries > 50000);
	feed_doc_free(d);

	/* a flag already set: nothing is done */
	volatile int flag = 1;
	d = (struct feed_doc *)&flag;
	assert_int_equal(feed_parse_buffer_cancellable(b.data, b.len, NULL, NULL, &flag, NULL, &d, NULL),
			 FEED_ERR_CANCELLED);
	assert_null(d);

	/* set half way through (libxml2 or the tree walk at work): the parse
	 * gives up soon after */
	flag = 0;
	struct canceller k = { &flag, (int)(whole * 1000 / 2) };
	pthread_t t;
	t0 = mono();
	assert_int_equal(pthread_create(&t, NULL, cancel_later, &k), 0);
	int rc = feed_parse_buffer_cancellable(b.data, b.len, NULL, NULL, NULL, &flag, &d, NULL);
	double took = mono() - t0;
	pthread_join(t, NULL);
	assert_int_equal(rc, FEED_ERR_CANCELLED);
	assert_null(d);
	if (took > whole / 2 + (whole / 5 > 0.1 ? whole / 5 : 0.1))
		fail_msg("cancelled at %.3f s, returned at %.3f s (the whole parse: %.3f s)", whole / 2, took, whole);
	util_buf_free(&b);
}

/* ---- ill-formed and not feeds ------------------------------------------------- */

static void test_illformed(void **state)
{
	(void)state;
	/* errors are collected, never printed: stderr stays empty */
	char tmpl[] = "/tmp/test_feed_stderr_XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);

	const char *trunc = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\">\n<channel><title>T</title>\n"
			    "<item><title>kept</title><link>http://x/1</link></item>\n<item><title>cut";
	struct feed_doc *d = parse_ok(trunc, NULL, NULL);
	assert_int_equal(d->well_formed, 0);
	assert_non_null(d->error);
	assert_true(strncmp(d->error, "line ", 5) == 0);
	assert_true(d->n_entries >= 1);
	assert_str(d->entries[0].title, "kept");
	feed_doc_free(d);

	d = parse_ok("<rss><channel><title>x</title><item><title>a</b></title></item></channel></rss>", NULL, NULL);
	assert_int_equal(d->well_formed, 0);
	assert_str(d->title, "x");
	feed_doc_free(d);

	char *why = NULL;
	d = NULL;
	assert_int_equal(feed_parse_buffer_ex("<html><body>hi</body></html>", 28, NULL, NULL, &d, &why),
			 FEED_ERR_NOT_FEED);
	assert_null(d);
	assert_non_null(why);
	assert_non_null(strstr(why, "<html>"));
	free(why);
	assert_int_equal(feed_parse_buffer_ex("just text", 9, NULL, NULL, &d, &why), FEED_ERR_PARSE);
	assert_non_null(why);
	free(why);
	assert_int_equal(feed_parse_buffer("", 0, NULL, NULL, &d), FEED_ERR_PARSE);
	assert_int_equal(feed_parse_buffer(NULL, 5, NULL, NULL, &d), FEED_ERR_ARG);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	off_t size = lseek(fd, 0, SEEK_END);
	close(fd);
	unlink(tmpl);
	assert_int_equal(size, 0);

	assert_str(feed_strerror(FEED_ERR_NOT_FEED), "not a feed (no rss, rdf:RDF, feed or Atom entry element)");
	assert_str(feed_format_name(FEED_FMT_ATOM03), "atom03");
}

/* ---- HTML to text -------------------------------------------------------------- */

static void test_html_to_text(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain text, no markup", "plain text, no markup" },
		{ "  lots   of\n\n white\tspace  ", "lots of white space" },
		{ "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;", "a & b <c> \"d\" 'e'" },
		{ "&eacute;&Eacute;&hellip;&mdash;&euro;&copy;&trade;&nbsp;x", "éÉ…—€©™ x" },
		{ "&#8217;&#x2019;&#X2019;&#146;&#x80;&#0;", "’’’’€\xef\xbf\xbd" },
		{ "AT&T &copy2026 &xyzzy; & &notit;", "AT&T ©2026 &xyzzy; & ¬it;" }, /* HTML5 legacy names */
		{ "&NotEqualTilde;&fjlig;", "\xe2\x89\x82\xcc\xb8" "fj" },
		{ "<p>One</p><p>Two</p>", "One\n\nTwo" },
		{ "<div>a<div>b</div></div>c", "a\n\nb\n\nc" },
		{ "line<br>next<br/>x<BR />y", "line\nnext\nx\ny" },
		{ "<ul><li>one</li><li>two</li></ul>", "one\n\ntwo" },
		{ "<h1>Title</h1>body", "Title\n\nbody" },
		{ "a<script>alert('x')</script>b", "a b" },
		{ "a<SCRIPT type=text/javascript>if (a<b) x();</SCRIPT >b", "a b" },
		{ "a<style>p{color:red}</style>b", "a b" },
		{ "<head><title>t</title></head>body", "body" },
		{ "a<noscript><p>no</p></noscript>b<iframe src=x>frame</iframe>c", "a b c" },
		{ "a<object><param name=x>obj<object>inner</object>more</object>b", "a b" },
		{ "a<svg><text>vector</text></svg>b<template><p>t</p></template>c", "a b c" },
		{ "a<embed src=x>b", "ab" },
		{ "a<!-- comment <p>no</p> -->b", "ab" },
		{ "<p onclick=\"alert(1)\" style=\"color:red\">safe</p>", "safe" },
		{ "<img src=x onerror=alert(1) alt=\"a > b\">ok", "ok" },
		{ "<a href=\"javascript:evil()\">link</a>", "link" },
		{ "<b>bold</b><i>it</i>alic", "bolditalic" },
		{ "x < y and y > z", "x < y and y > z" },
		{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\n\nc" },
		{ "<pre>line1\nline2</pre>", "line1\nline2" },
		{ "esc\x1b[31mred\x1b[0m &#27;[2J done", "escred done" },
		{ "bidi \xe2\x80\xae" "evil", "bidi evil" },
		{ "unclosed <b attr=\"x", "unclosed" },
		{ "<p>", "" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = feed_html_to_text(cases[i].in, strlen(cases[i].in));
		assert_non_null(t);
		if (strcmp(t, cases[i].out) != 0)
			fail_msg("case %zu: \"%s\"\n want \"%s\"\n  got \"%s\"", i, cases[i].in, cases[i].out, t);
		free(t);
	}
	assert_true(feed_html_looks_like("<p>x</p>"));
	assert_true(feed_html_looks_like("a &amp; b"));
	assert_true(feed_html_looks_like("x</b>"));
	assert_false(feed_html_looks_like("1 < 2 and 3 > 2"));
	assert_false(feed_html_looks_like("AT&T"));
	assert_false(feed_html_looks_like(NULL));
}

/* ---- URLs --------------------------------------------------------------------- */

static void test_url_resolve(void **state)
{
	(void)state;
	/* RFC 3986 5.4.1 and 5.4.2 */
	static const char *const cases[][2] = {
		{ "g:h", "g:h" }, { "g", "http://a/b/c/g" }, { "./g", "http://a/b/c/g" },
		{ "g/", "http://a/b/c/g/" }, { "/g", "http://a/g" }, { "//g", "http://g" },
		{ "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" },
		{ "#s", "http://a/b/c/d;p?q#s" }, { "g#s", "http://a/b/c/g#s" },
		{ "g?y#s", "http://a/b/c/g?y#s" }, { ";x", "http://a/b/c/;x" },
		{ "g;x", "http://a/b/c/g;x" }, { "g;x?y#s", "http://a/b/c/g;x?y#s" },
		{ "", "http://a/b/c/d;p?q" }, { ".", "http://a/b/c/" }, { "./", "http://a/b/c/" },
		{ "..", "http://a/b/" }, { "../", "http://a/b/" }, { "../g", "http://a/b/g" },
		{ "../..", "http://a/" }, { "../../", "http://a/" }, { "../../g", "http://a/g" },
		{ "../../../g", "http://a/g" }, { "../../../../g", "http://a/g" },
		{ "/./g", "http://a/g" }, { "/../g", "http://a/g" }, { "g.", "http://a/b/c/g." },
		{ ".g", "http://a/b/c/.g" }, { "g..", "http://a/b/c/g.." }, { "..g", "http://a/b/c/..g" },
		{ "./../g", "http://a/b/g" }, { "./g/.", "http://a/b/c/g/" }, { "g/./h", "http://a/b/c/g/h" },
		{ "g/../h", "http://a/b/c/h" }, { "g;x=1/./y", "http://a/b/c/g;x=1/y" },
		{ "g;x=1/../y", "http://a/b/c/y" }, { "g?y/./x", "http://a/b/c/g?y/./x" },
		{ "g?y/../x", "http://a/b/c/g?y/../x" }, { "g#s/./x", "http://a/b/c/g#s/./x" },
		{ "g#s/../x", "http://a/b/c/g#s/../x" }, { "http:g", "http:g" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = feed_url_resolve("http://a/b/c/d;p?q", cases[i][0]);
		assert_non_null(r);
		if (strcmp(r, cases[i][1]) != 0)
			fail_msg("resolve \"%s\": want %s got %s", cases[i][0], cases[i][1], r);
		free(r);
	}
	char *r = feed_url_resolve(NULL, " rel/x ");
	assert_str(r, "rel/x");
	free(r);
	r = feed_url_resolve("https://h.example", "p");
	assert_str(r, "https://h.example/p");
	free(r);
	r = feed_url_resolve("https://h.example/a/b", "https://other/x/../y");
	assert_str(r, "https://other/y");
	free(r);
}

static void test_url_normalize(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "HTTP://Example.COM", "http://example.com/" },
		{ "http://example.com:80/a/./b/../c", "http://example.com/a/c" },
		{ "https://example.com:443/x#frag", "https://example.com/x" },
		{ "https://example.com:8443/x", "https://example.com:8443/x" },
		{ "http://e.com/p?utm_source=rss&id=3&utm_medium=x&fbclid=1&gclid=2", "http://e.com/p?id=3" },
		{ "http://e.com/p?utm_source=rss", "http://e.com/p" },
		{ "http://User@E.com./Path", "http://User@e.com/Path" },
		{ "tag:example.com,2026:1#x", "tag:example.com,2026:1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = feed_url_normalize(cases[i][0]);
		assert_non_null(n);
		if (strcmp(n, cases[i][1]) != 0)
			fail_msg("normalize %s: want %s got %s", cases[i][0], cases[i][1], n);
		free(n);
	}
	char host[64];
	assert_int_equal(feed_url_host("https://user@News.Example.com:8080/x", host, sizeof(host)), 0);
	assert_string_equal(host, "news.example.com");
	assert_int_equal(feed_url_host("mailto:x@y", host, sizeof(host)), -1);
	assert_int_equal(feed_url_host("http://a-very-long-host.example/", host, 8), -1);

	/* the one URL policy of feeds add and feeds import */
	assert_null(feed_url_refusal("https://news.example/feed", 0));
	assert_null(feed_url_refusal("HTTP://news.example:8080/rss?x=1", 0));
	assert_null(feed_url_refusal("file:///home/me/feed.xml", 1));
	assert_non_null(feed_url_refusal("file:///etc/passwd", 0));
	assert_non_null(feed_url_refusal("file:relative.xml", 1));
	static const char *const refused[] = { "", "javascript:alert(1)", "ftp://x.example/f",
		"gopher://x.example/f", "http://", "https:///path", "https://a b.example/",
		"https://x.example/\x01", "data:text/xml,<rss/>" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		assert_non_null(feed_url_refusal(refused[i], 1));
	assert_non_null(feed_url_refusal(NULL, 1));
}

/* ---- OPML ------------------------------------------------------------------- */

static void test_opml_roundtrip(void **state)
{
	(void)state;
	struct feed_opml_entry in[] = {
		{ "http://a.example/feed?x=1&y=2", "A & \"B\" <C>", "http://a.example/", NULL },
		{ "http://b.example/rss", "Bee\nline", NULL, "Chips & AI" },
		{ "http://c.example/atom", NULL, NULL, "Chips & AI" },
		{ "http://d.example/rss", "Dee", NULL, "Open <Source>" },
	};
	size_t n_in = sizeof(in) / sizeof(in[0]);
	char *xml = feed_opml_write(in, n_in, "My & feeds");
	assert_non_null(xml);
	assert_null(strstr(xml, "x=1&y")); /* escaped */
	struct feed_opml_entry *out = NULL;
	size_t n = 0;
	assert_int_equal(feed_opml_parse(xml, strlen(xml), &out, &n), FEED_OK);
	assert_int_equal(n, n_in);
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < n && strcmp(out[j].url, in[i].url); j++)
			;
		assert_true(j < n);
		assert_str(out[j].category, in[i].category);
		assert_str(out[j].site, in[i].site);
	}
	/* titles: markup characters survive, a newline becomes a space, a
	 * missing title is written as the URL */
	for (size_t j = 0; j < n; j++) {
		if (!strcmp(out[j].url, in[0].url))
			assert_str(out[j].title, "A & \"B\" <C>");
		if (!strcmp(out[j].url, in[1].url))
			assert_str(out[j].title, "Bee line");
		if (!strcmp(out[j].url, in[2].url))
			assert_str(out[j].title, in[2].url);
	}
	feed_opml_free(out, n);
	free(xml);
}

static void test_opml_corpus(void **state)
{
	(void)state;
	char *path = shared_path("corpus/feeds/newsboat/example.opml");
	char *buf;
	size_t len;
	assert_int_equal(util_file_read(path, 0, &buf, &len), 0);
	free(path);
	struct feed_opml_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(feed_opml_parse(buf, len, &e, &n), FEED_OK);
	free(buf);
	assert_int_equal(n, 7);
	assert_str(e[0].url, "https://example.com/feed.xml");
	assert_str(e[0].title, "example.com website");
	assert_null(e[0].category);
	assert_str(e[4].url, "https://blogs.example.com/~john/posts.rss");
	assert_str(e[4].category, "Blogs"); /* text wins over title for folders */
	assert_str(e[5].category, "friends");
	assert_str(e[6].category, "eloquent");
	feed_opml_free(e, n);

	static const char *const broken[] = {
		"corpus/feeds/newsboat/body-element-missing.opml",
		"corpus/feeds/newsboat/opml-element-missing.opml",
	};
	for (size_t i = 0; i < 2; i++) {
		path = shared_path(broken[i]);
		assert_int_equal(util_file_read(path, 0, &buf, &len), 0);
		e = NULL;
		n = 5;
		assert_int_equal(feed_opml_parse(buf, len, &e, &n), FEED_ERR_PARSE);
		assert_null(e);
		assert_int_equal(n, 0);
		char *why = NULL;
		assert_int_equal(feed_opml_parse_ex(buf, len, &e, &n, &why), FEED_ERR_PARSE);
		assert_str(why, i == 0 ? "no <body> in <opml>" : "root element <not-opml> is not opml");
		free(why);
		free(buf);
		free(path);
	}
	assert_int_equal(feed_opml_parse("<opml><body><outline xmlUrl=", 28, &e, &n), FEED_OK);
	feed_opml_free(e, n);
	assert_int_equal(feed_opml_parse("garbage", 7, &e, &n), FEED_ERR_PARSE);
}

/* ---- newsboat's fixtures ------------------------------------------------------ */

static void test_newsboat_corpus(void **state)
{
	(void)state;
	struct feed_doc *d = parse_file("corpus/feeds/newsboat/rss092_1.xml");
	assert_int_equal(d->format, FEED_FMT_RSS092);
	assert_str(d->title, "Example Channel");
	assert_int_equal(d->n_entries, 3);
	assert_str(d->entries[0].title, "1 < 2");
	feed_doc_free(d);

	d = parse_file("corpus/feeds/newsboat/rss_094_with_bracket_author.xml");
	assert_int_equal(d->format, FEED_FMT_RSS094);
	assert_int_equal(d->n_entries, 3);
	assert_str(d->entries[0].author, "Author name)");
	assert_str(d->entries[1].author, "Author");
	assert_str(d->entries[2].author, "Author (name)");
	feed_doc_free(d);

	d = parse_file("corpus/feeds/newsboat/rss_091_with_empty_author.xml");
	assert_int_equal(d->format, FEED_FMT_RSS091);
	for (size_t i = 0; i < d->n_entries; i++)
		assert_null(d->entries[i].author);
	feed_doc_free(d);

	d = parse_file("corpus/feeds/newsboat/atom10_feed_authors.xml");
	assert_str(d->entries[0].author, "First Feed Author");
	assert_str(d->entries[1].author, "Entry Author");
	feed_doc_free(d);

	d = parse_file("corpus/feeds/newsboat/multiple_item_links.atom");
	assert_str(d->entries[0].link, "http://www.test.org/tests");
	feed_doc_free(d);

	d = parse_file("corpus/feeds/realworld/theregister_science_2019.atom.xml");
	assert_str(d->entries[0].author, "Richard Speed");
	assert_non_null(strstr(d->entries[0].title, "Will someone plz dump our shizz on the Moon"));
	feed_doc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atom_entry_document),
		cmocka_unit_test(test_rss20),
		cmocka_unit_test(test_title_escaped_markup),
		cmocka_unit_test(test_rss09x_versions),
		cmocka_unit_test(test_rdf),
		cmocka_unit_test(test_atom10),
		cmocka_unit_test(test_atom03),
		cmocka_unit_test(test_xml_base),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_xxe_and_bombs),
		cmocka_unit_test(test_attribute_entity_bombs),
		cmocka_unit_test(test_attribute_entities_still_expand),
		cmocka_unit_test(test_linear_without_entities),
		cmocka_unit_test(test_dtd_costs),
		cmocka_unit_test(test_opml_entity_bombs),
		cmocka_unit_test(test_parse_cancel),
		cmocka_unit_test(test_illformed),
		cmocka_unit_test(test_html_to_text),
		cmocka_unit_test(test_url_resolve),
		cmocka_unit_test(test_url_normalize),
		cmocka_unit_test(test_opml_roundtrip),
		cmocka_unit_test(test_opml_corpus),
		cmocka_unit_test(test_newsboat_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Static and respond routes served by the proxy itself, through a real listener. */
class HttpStaticTest {
    @TempDir
    Path dir;

    private SluiceUnderTest start() throws Exception {
        Path root = Files.createDirectories(dir.resolve("public"));
        Files.writeString(root.resolve("hello.txt"), "hello static world\n");
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "<h1>docs</h1>\n");
        Files.writeString(dir.resolve("secret.txt"), "TOP SECRET\n");
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - match: { path_prefix: /files/ }
                        strip_prefix: /files
                        response_headers: { set: { X-Served-By: sluice } }
                        static: { root: "%s" }
                      - match: { path_prefix: /hello }
                        response_headers: { set: { X-Served-By: sluice } }
                        respond: { status: 201, body: "made\\n", headers: { Content-Type: text/plain, X-Made: yes } }
                """.formatted(root.toString().replace("\\", "/"));
        return SluiceUnderTest.start(yaml);
    }

    @Test
    void servesAFileWithItsTypeAndRanges() throws Exception {
        try (SluiceUnderTest sluice = start(); RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\nX-Request-ID: st-1\r\n\r\n");
            RawHttp.Response full = client.read();
            assertThat(full.status()).isEqualTo(200);
            assertThat(full.header("Content-Type")).startsWith("text/plain");
            assertThat(full.header("Content-Length")).isEqualTo("19");
            assertThat(full.bodyText()).isEqualTo("hello static world\n");
            assertThat(full.header("X-Request-ID")).isEqualTo("st-1");
            assertThat(full.header("X-Served-By")).isEqualTo("sluice");
            assertThat(full.header("ETag")).isNotBlank();

            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=6-11\r\n\r\n");
            RawHttp.Response part = client.read();
            assertThat(part.status()).isEqualTo(206);
            assertThat(part.bodyText()).isEqualTo("static");
            assertThat(part.header("Content-Range")).isEqualTo("bytes 6-11/19");

            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=100-\r\n\r\n");
            RawHttp.Response unsatisfiable = client.read();
            assertThat(unsatisfiable.status()).isEqualTo(416);
            assertThat(unsatisfiable.header("Content-Range")).isEqualTo("bytes */19");

            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: " + full.header("ETag") + "\r\n\r\n");
            RawHttp.Response notModified = client.read();
            assertThat(notModified.status()).isEqualTo(304);

            client.send("HEAD /files/hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response head = client.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("19");

            // the connection is still in step after all of them
            client.send("GET /files/docs/ HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response index = client.read();
            assertThat(index.status()).isEqualTo(200);
            assertThat(index.header("Content-Type")).startsWith("text/html");
            assertThat(index.bodyText()).isEqualTo("<h1>docs</h1>\n");

            client.send("GET /files/docs?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttp.Response redirect = client.read();
            assertThat(redirect.status()).isEqualTo(301);
            assertThat(redirect.header("Location")).isEqualTo("/files/docs/?x=1");

            client.send("GET /files/missing.txt HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(404);
        }
    }

    @Test
    void ifMatchAndIfUnmodifiedSinceAreAnsweredBeforeTheOtherConditionals() throws Exception {
        try (SluiceUnderTest sluice = start(); RawHttp client = new RawHttp(sluice.port("main"))) {
            Files.setLastModifiedTime(dir.resolve("public/hello.txt"),
                    java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2020-06-01T12:00:00Z")));
            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
            String etag = client.read().header("ETag"); // weak: If-Match's strong comparison never matches it

            String[][] cases = {
                    {"If-Match: *", "200"},
                    {"If-Match: \"nope\"", "412"},
                    {"If-Match: \"nope\", " + etag, "412"},
                    {"If-Match: " + etag.substring(2), "412"},
                    // If-Match first: If-None-Match would have said 304
                    {"If-Match: \"nope\"\r\nIf-None-Match: " + etag, "412"},
                    {"If-Unmodified-Since: Mon, 01 Jun 2020 11:59:59 GMT", "412"},
                    {"If-Unmodified-Since: Mon, 01 Jun 2020 12:00:00 GMT", "200"},
                    {"If-Unmodified-Since: Mon, 01 Jun 2020 11:59:59 GMT\r\nRange: bytes=0-4", "412"},
                    {"If-Unmodified-Since: not a date", "200"},
                    // with If-Match, If-Unmodified-Since is not looked at
                    {"If-Match: *\r\nIf-Unmodified-Since: Mon, 01 Jun 2020 11:59:59 GMT", "200"},
                    // both hold: on to If-None-Match
                    {"If-Match: *\r\nIf-None-Match: " + etag, "304"},
            };
            for (String[] c : cases) {
                client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\n" + c[0] + "\r\n\r\n");
                RawHttp.Response r = client.read();
                assertThat(r.status()).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
                if (r.status() == 200) {
                    assertThat(r.bodyText()).as(c[0]).isEqualTo("hello static world\n");
                }
            }
            client.send("HEAD /files/hello.txt HTTP/1.1\r\nHost: h\r\nIf-Match: \"nope\"\r\n\r\n");
            assertThat(client.read(true).status()).isEqualTo(412);
            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\n\r\n"); // still in step
            assertThat(client.read().bodyText()).isEqualTo("hello static world\n");
        }
    }

    @Test
    void noPathEscapesTheRoot() throws Exception {
        try (SluiceUnderTest sluice = start()) {
            for (String path : new String[] {"/files/../secret.txt", "/files/%2e%2e/secret.txt",
                    "/files/docs/../../secret.txt", "/files/%2E%2E%2Fsecret.txt", "/files/..%2fsecret.txt",
                    "/files/..%5csecret.txt", "/files/docs/%2e%2e/%2e%2e/secret.txt"}) {
                try (RawHttp client = new RawHttp(sluice.port("main"))) {
                    client.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
                    RawHttp.Response r = client.read();
                    assertThat(r.status()).as(path).isIn(400, 403, 404);
                    assertThat(r.bodyText()).as(path).doesNotContain("SECRET");
                }
            }
        }
    }

    @Test
    void nonGetMethodsAreRefusedOnStaticRoutes() throws Exception {
        try (SluiceUnderTest sluice = start(); RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("POST /files/hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(405);
            assertThat(r.header("Allow")).contains("GET");
            client.send("GET /files/hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
    }

    @Test
    void respondRouteAnswersWithItsStatusBodyAndHeaders() throws Exception {
        try (SluiceUnderTest sluice = start(); RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /hello HTTP/1.1\r\nHost: h\r\nX-Request-ID: r-9\r\n\r\n");
            RawHttp.Response r = client.read();
            assertThat(r.status()).isEqualTo(201);
            assertThat(r.bodyText()).isEqualTo("made\n");
            assertThat(r.header("Content-Type")).isEqualTo("text/plain");
            assertThat(r.header("X-Made")).isEqualTo("yes");
            assertThat(r.header("X-Served-By")).isEqualTo("sluice");
            assertThat(r.header("X-Request-ID")).isEqualTo("r-9");
            client.send("POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(client.read().status()).isEqualTo(201);
            client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("made\n");
        }
    }
}

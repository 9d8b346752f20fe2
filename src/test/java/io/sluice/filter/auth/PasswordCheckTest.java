package io.sluice.filter.auth;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The users file, the header parser and the bcrypt check (off the caller's thread, cached, bounded). */
class PasswordCheckTest {
    @TempDir
    Path dir;

    /** A bcrypt hash of {@code password} at cost 4 (fast), in the given version ({@code 2y}, {@code 2b}, {@code 2a}). */
    static String bcrypt(String version, String password) {
        BCrypt.Version v = switch (version) {
            case "2a" -> BCrypt.Version.VERSION_2A;
            case "2b" -> BCrypt.Version.VERSION_2B;
            default -> BCrypt.Version.VERSION_2Y;
        };
        return BCrypt.with(v).hashToString(4, password.toCharArray());
    }

    static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    private UsersFile users(String text) throws Exception {
        Path file = dir.resolve("users.htpasswd");
        Files.writeString(file, text);
        List<String> problems = new ArrayList<>();
        UsersFile users = UsersFile.read(file, problems);
        assertThat(problems).isEmpty();
        return users;
    }

    private List<String> problems(String text) throws Exception {
        Path file = dir.resolve("bad.htpasswd");
        Files.writeString(file, text);
        List<String> problems = new ArrayList<>();
        assertThat(UsersFile.read(file, problems)).isNull();
        return problems;
    }

    private static PasswordCheck.Outcome check(PasswordCheck check, String header) throws Exception {
        return check.check(BasicCredentials.parse(header)).get(20, TimeUnit.SECONDS);
    }

    @AfterEach
    void noHook() {
        PasswordCheck.beforeCheck = null;
    }

    @Test
    void everyBcryptVersionIsCheckedOffTheCallersThreadAndGoodChecksAreRemembered() throws Exception {
        UsersFile users = users("# staff\n\nalice:" + bcrypt("2y", "wonder") + "\nbob:" + bcrypt("2b", "builder")
                + "\r\ncarol:" + bcrypt("2a", "pässword") + "\n");
        assertThat(users.size()).isEqualTo(3);
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        PasswordCheck.beforeCheck = () -> threads.add(Thread.currentThread().getName());
        PasswordCheck check = new PasswordCheck(users);

        assertThat(check(check, basic("alice:wonder"))).isEqualTo(PasswordCheck.Outcome.GRANTED);
        assertThat(check(check, basic("bob:builder"))).isEqualTo(PasswordCheck.Outcome.GRANTED);
        assertThat(check(check, basic("carol:pässword"))).isEqualTo(PasswordCheck.Outcome.GRANTED);
        assertThat(check(check, basic("alice:builder"))).isEqualTo(PasswordCheck.Outcome.DENIED);
        assertThat(check(check, basic("mallory:wonder"))).isEqualTo(PasswordCheck.Outcome.DENIED);
        assertThat(check(check, basic("alice:"))).isEqualTo(PasswordCheck.Outcome.DENIED);
        assertThat(threads).hasSize(6).allMatch(t -> t.startsWith(PasswordCheck.THREAD_NAME));

        assertThat(check.remembered(BasicCredentials.parse(basic("alice:wonder")))).isTrue();
        assertThat(check.remembered(BasicCredentials.parse(basic("alice:builder")))).isFalse();
        assertThat(check.remembered(BasicCredentials.parse(basic("mallory:wonder")))).isFalse();

        // a reload that read the same file keeps the check and what it remembers; a changed file does not
        assertThat(check.reusedFor(users("alice:" + new String(users.hash("alice"), StandardCharsets.US_ASCII)
                + "\nbob:" + new String(users.hash("bob"), StandardCharsets.US_ASCII) + "\ncarol:"
                + new String(users.hash("carol"), StandardCharsets.US_ASCII) + "\n"))).isSameAs(check);
        PasswordCheck changed = check.reusedFor(users("alice:" + bcrypt("2y", "new") + "\n"));
        assertThat(changed).isNotSameAs(check);
        assertThat(changed.remembered(BasicCredentials.parse(basic("alice:wonder")))).isFalse();
        assertThat(check(changed, basic("alice:wonder"))).isEqualTo(PasswordCheck.Outcome.DENIED);
        assertThat(check(changed, basic("alice:new"))).isEqualTo(PasswordCheck.Outcome.GRANTED);
    }

    @Test
    void aFullQueueIsBusyNotUnbounded() throws Exception {
        PasswordCheck check = new PasswordCheck(users("alice:" + bcrypt("2y", "wonder") + "\n"));
        CountDownLatch release = new CountDownLatch(1);
        PasswordCheck.beforeCheck = () -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        List<CompletableFuture<PasswordCheck.Outcome>> all = new ArrayList<>();
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors() / 2);
        // The pool is shared: a check of an earlier test still running on a loaded machine frees its thread
        // (which then takes one of these from the queue) when it ends. Each thread can do that once, so one
        // more submission per thread still overflows the queue whatever the others were doing.
        for (int i = 0; i < PasswordCheck.MAX_WAITING + 2 * threads + 1; i++) {
            all.add(check.check(BasicCredentials.parse(basic("alice:wonder"))));
        }
        assertThat(all).anySatisfy(f -> assertThat(f).isCompletedWithValue(PasswordCheck.Outcome.BUSY));
        release.countDown();
        for (CompletableFuture<PasswordCheck.Outcome> f : all) {
            assertThat(f.get(60, TimeUnit.SECONDS)).isIn(PasswordCheck.Outcome.GRANTED, PasswordCheck.Outcome.BUSY);
        }
    }

    @Test
    void headersThatAreNotBasicUserColonPasswordAreRefused() {
        assertThat(BasicCredentials.parse(null)).isNull();
        assertThat(BasicCredentials.parse("")).isNull();
        assertThat(BasicCredentials.parse("Bearer abc")).isNull();
        assertThat(BasicCredentials.parse("Digest username=\"a\"")).isNull();
        assertThat(BasicCredentials.parse("Basic")).isNull();
        assertThat(BasicCredentials.parse("Basic !!!notbase64")).isNull();
        assertThat(BasicCredentials.parse(basic("no-colon"))).isNull();
        BasicCredentials c = BasicCredentials.parse("basic  " + basic("u:p:q").substring(6));
        assertThat(c.user()).isEqualTo("u");
        assertThat(new String(c.password(), StandardCharsets.UTF_8)).isEqualTo("p:q");
        // the cache key is a digest: neither the password nor the user is in it
        assertThat(c.cacheKey().remaining()).isEqualTo(32);
        assertThat(BasicCredentials.parse(basic("u:p:q")).cacheKey()).isEqualTo(c.cacheKey());
        assertThat(BasicCredentials.parse(basic("u:p:r")).cacheKey()).isNotEqualTo(c.cacheKey());
    }

    @Test
    void onlyBcryptHashesAreAccepted() throws Exception {
        assertThat(problems("alice:$apr1$x3m7i2yR$J4H4dK5u7hYZ2L1a0cU6p/\n")).singleElement().asString()
                .contains("bad.htpasswd line 1").contains("Apache MD5").contains("htpasswd -B bad.htpasswd alice");
        assertThat(problems("# c\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")).singleElement().asString()
                .contains("line 2").contains("SHA-1");
        assertThat(problems("carol:plaintext\n")).singleElement().asString().contains("plain text");
        assertThat(problems("dave:$6$salt$hash\n")).singleElement().asString().contains("crypt $6$");
        assertThat(problems("erin:$2x$04$" + "a".repeat(53) + "\n")).singleElement().asString().contains("bcrypt");
        assertThat(problems("no colon here\n")).singleElement().asString().contains("expected user:hash");
        String h = bcrypt("2y", "x");
        assertThat(problems("a:" + h + "\na:" + h + "\n")).singleElement().asString().contains("listed twice");
        List<String> missing = new ArrayList<>();
        assertThat(UsersFile.read(dir.resolve("nope"), missing)).isNull();
        assertThat(missing).singleElement().asString().contains("does not exist");
    }
}

package io.sluice.filter.auth;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.Verdict;

/**
 * Lets through a request whose basic credentials are in the users file; answers the others with the
 * challenge. Two uses: the {@code basic_auth} filter ({@code Authorization}, 401, {@code WWW-Authenticate})
 * and a forward proxy's {@code auth} ({@code Proxy-Authorization}, 407, {@code Proxy-Authenticate}). The
 * request waits for the check ({@link Verdict#later}) without holding its event loop; credentials checked
 * within the last minute pass at once.
 */
public final class BasicAuthGate implements Filter {
    private final PasswordCheck check;
    private final String credentialsHeader;
    private final int status;
    private final String challengeHeader;
    private final String challenge;

    private BasicAuthGate(PasswordCheck check, String realm, String credentialsHeader, int status,
                          String challengeHeader) {
        this.check = check;
        this.credentialsHeader = credentialsHeader;
        this.status = status;
        this.challengeHeader = challengeHeader;
        this.challenge = "Basic realm=\"" + realm + "\"";
    }

    /** For a route or listener: {@code Authorization}, 401 with {@code WWW-Authenticate}. */
    public static BasicAuthGate origin(PasswordCheck check, String realm) {
        return new BasicAuthGate(check, realm, "Authorization", 401, "WWW-Authenticate");
    }

    /** For a forward proxy: {@code Proxy-Authorization}, 407 with {@code Proxy-Authenticate}. */
    public static BasicAuthGate proxy(PasswordCheck check, String realm) {
        return new BasicAuthGate(check, realm, "Proxy-Authorization", 407, "Proxy-Authenticate");
    }

    /**
     * Whether {@code realm} can stand in the quoted string of the challenge as it is: no quote, backslash or
     * control character (what a client shows its user should not need escaping).
     */
    /** What a realm that {@link #validRealm} refuses is told. */
    public static final String BAD_REALM =
            "a realm is shown to the user: not empty, no quote, backslash or control character";

    public static boolean validRealm(String realm) {
        return !realm.isEmpty() && realm.chars().allMatch(c -> c >= 0x20 && c != 0x7f && c != '"' && c != '\\');
    }

    @Override
    public Verdict onRequest(FilterContext context) {
        String header = context.request().headers().get(credentialsHeader);
        if (header == null) {
            return refuse("credentials required");
        }
        BasicCredentials credentials = BasicCredentials.parse(header);
        if (credentials == null) {
            return refuse("bad credentials");
        }
        if (check.remembered(credentials)) {
            return Verdict.next();
        }
        return Verdict.later(check.check(credentials).thenApply(this::verdict));
    }

    private Verdict verdict(PasswordCheck.Outcome outcome) {
        return switch (outcome) {
            case GRANTED -> Verdict.next();
            case DENIED -> refuse("bad credentials");
            case BUSY -> Verdict.answer(Reply.text(503, "too many password checks waiting").header("Retry-After", "1"));
        };
    }

    private Verdict refuse(String detail) {
        return Verdict.answer(Reply.text(status, detail).header(challengeHeader, challenge));
    }
}

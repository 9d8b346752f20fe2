package io.sluice.filter.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.Headers;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code jwt} filter's check of one request (see {@link io.sluice.filter.builtin.Jwt}): Nimbus's processor
 * verifies the token's signature with {@link JwksKeys}, its algorithm, {@code exp}/{@code nbf} with the clock
 * skew, the issuer and the audiences; then the chosen claims become request fields. Signature checks run on the
 * event loop: an RS256 or ES256 verification is tens of microseconds of CPU, never a wait.
 */
public final class JwtCheck implements Filter {
    private static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");
    private final JwksKeys keys;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Map<String, String> claimsToHeaders;

    public JwtCheck(JwksKeys keys, Set<JWSAlgorithm> algorithms, String issuer, Set<String> audiences,
                    Duration clockSkew, Map<String, String> claimsToHeaders) {
        this.keys = keys;
        this.claimsToHeaders = claimsToHeaders;
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        // Nimbus's default takes only typ JWT or none; an OAuth access token (RFC 9068) says at+jwt
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, AT_JWT,
                new JOSEObjectType("application/at+jwt"), null));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                audiences.isEmpty() ? null : audiences,
                issuer == null ? null : new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of(), Set.of());
        claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, clockSkew.toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
    }

    @Override
    public Verdict onRequest(FilterContext context) {
        Headers in = context.request().headers();
        for (String header : claimsToHeaders.values()) {
            in.remove(header); // only the verified claim goes upstream under this name
        }
        String token = bearer(in.get("Authorization"));
        if (token == null) {
            return Verdict.answer(Reply.text(401, "a bearer token is required").header("WWW-Authenticate", "Bearer"));
        }
        if (!keys.ready()) {
            keys.retryIfNotReady();
            return Verdict.answer(503, "the token signing keys are not loaded yet");
        }
        JWTClaimsSet verified;
        try {
            verified = processor.process(token, null);
        } catch (java.text.ParseException | com.nimbusds.jose.proc.BadJOSEException | com.nimbusds.jose.JOSEException e) {
            return Verdict.answer(Reply.text(401, "invalid token")
                    .header("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
        for (Map.Entry<String, String> e : claimsToHeaders.entrySet()) {
            Object value = verified.getClaim(e.getKey());
            if (value != null) {
                in.set(e.getValue(), value instanceof List<?> list ? join(list) : String.valueOf(value));
            }
        }
        return Verdict.next();
    }

    /** The token of an {@code Authorization: Bearer TOKEN} field (the scheme in any case); null otherwise. */
    static String bearer(String authorization) {
        if (authorization == null || authorization.length() < 8
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    private static String join(List<?> values) {
        List<String> out = new ArrayList<>();
        for (Object v : values) {
            out.add(String.valueOf(v));
        }
        return String.join(",", out);
    }
}

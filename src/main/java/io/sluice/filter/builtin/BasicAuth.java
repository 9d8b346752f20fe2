package io.sluice.filter.builtin;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.auth.BasicAuthGate;
import io.sluice.filter.auth.PasswordCheck;
import io.sluice.filter.auth.UsersFile;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code basic_auth}: a request without credentials in {@code users_file} (an htpasswd file of bcrypt hashes)
 * is answered 401 with {@code WWW-Authenticate: Basic realm="..."}. The file is read when the configuration is
 * loaded (so {@code sluice check} and a reload report a bad one); the checks run off the event loops
 * ({@link PasswordCheck}). {@code Authorization} is forwarded as the client sent it.
 */
public final class BasicAuth implements FilterFactory<BasicAuth.Settings> {
    public static final String DEFAULT_REALM = "sluice";

    public record Settings(UsersFile users, String realm) {
    }

    @Override
    public String type() {
        return "basic_auth";
    }

    @Override
    public List<String> keys() {
        return List.of("users_file", "realm");
    }

    @Override
    public Settings configure(FilterSettings s) {
        String realm = s.string("realm", DEFAULT_REALM);
        boolean ok = true;
        if (!BasicAuthGate.validRealm(realm)) {
            s.error("realm", BasicAuthGate.BAD_REALM);
            ok = false;
        }
        if (!s.require("users_file")) {
            return null;
        }
        String file = s.string("users_file", "");
        List<String> problems = new ArrayList<>();
        UsersFile users = UsersFile.fromSetting(file, s::resolve, problems);
        for (String p : problems) {
            s.error("users_file", p);
        }
        return users != null && ok ? new Settings(users, realm) : null;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        Checks kept = setup.keep("check", Checks.class, Checks::new);
        return BasicAuthGate.origin(kept.of(settings.users()), settings.realm());
    }

    /** The check of this place, kept across reloads while the file is unchanged (its cache of good checks too). */
    static final class Checks {
        private PasswordCheck check;

        synchronized PasswordCheck of(UsersFile users) {
            check = check == null ? new PasswordCheck(users) : check.reusedFor(users);
            return check;
        }
    }
}

package io.sluice.filter;

import io.sluice.filter.api.FilterFactory;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads the filter factories of the jars named under {@code plugins:}. Each jar gets a class loader of its
 * own (parent: Sluice's), made once per path and modification time: a reload that names the same jar uses
 * the same classes, so the state filters {@link io.sluice.filter.api.FilterSetup#keep keep} stays usable.
 */
public final class Plugins {
    private record Loaded(FileTime modified, List<FilterFactory<?>> factories) {
    }

    private static final Map<Path, Loaded> LOADED = new ConcurrentHashMap<>();

    private Plugins() {
    }

    /** The factories {@code jar} provides; an {@link IllegalArgumentException} says why there are none. */
    public static List<FilterFactory<?>> load(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("plugin jar '" + jar + "' does not exist or is not a file");
        }
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(jar);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read plugin jar '" + jar + "': " + e.getMessage());
        }
        Loaded known = LOADED.get(jar);
        if (known != null && known.modified.equals(modified)) {
            return known.factories;
        }
        URL url;
        try {
            url = jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("bad plugin path '" + jar + "'");
        }
        URLClassLoader loader = new URLClassLoader("plugin:" + jar.getFileName(), new URL[] {url},
                Plugins.class.getClassLoader());
        List<FilterFactory<?>> factories = new ArrayList<>();
        try {
            for (ServiceLoader.Provider<FilterFactory> p : ServiceLoader.load(FilterFactory.class, loader).stream().toList()) {
                if (p.type().getClassLoader() == loader) { // not the ones the parent already has
                    factories.add(p.get());
                }
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new IllegalArgumentException("plugin jar '" + jar + "' cannot be loaded: " + e.getMessage());
        }
        if (factories.isEmpty()) {
            throw new IllegalArgumentException("plugin jar '" + jar + "' provides no filter (expected a "
                    + "META-INF/services/" + FilterFactory.class.getName() + " file naming its factories)");
        }
        LOADED.put(jar, new Loaded(modified, List.copyOf(factories)));
        return factories;
    }
}

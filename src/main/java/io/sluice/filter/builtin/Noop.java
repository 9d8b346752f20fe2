package io.sluice.filter.builtin;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import java.util.List;

/**
 * {@code noop}: lets every request through and changes nothing. For measuring what the chain itself costs
 * (bench/configs/sluice-filters.yaml) and for trying a configuration.
 */
public final class Noop implements FilterFactory<Boolean> {
    private static final Filter NOTHING = new Filter() {
    };

    @Override
    public String type() {
        return "noop";
    }

    @Override
    public List<String> keys() {
        return List.of();
    }

    @Override
    public Boolean configure(FilterSettings settings) {
        return Boolean.TRUE;
    }

    @Override
    public Filter create(Boolean settings, FilterSetup setup) {
        return NOTHING;
    }
}

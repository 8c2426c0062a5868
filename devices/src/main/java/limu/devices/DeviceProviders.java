// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** The {@link DeviceProvider}s on the class path, found with {@link ServiceLoader}. */
public final class DeviceProviders {
    private final List<DeviceProvider> providers;

    private DeviceProviders(List<DeviceProvider> providers) {
        this.providers = List.copyOf(providers);
    }

    /** Every provider visible to {@code loader}, sorted by name. */
    public static DeviceProviders load(ClassLoader loader) {
        List<DeviceProvider> found = new ArrayList<>();
        for (DeviceProvider p : ServiceLoader.load(DeviceProvider.class, loader)) {
            found.add(p);
        }
        found.sort(Comparator.comparing(DeviceProvider::name));
        return new DeviceProviders(found);
    }

    public static DeviceProviders load() {
        return load(Thread.currentThread().getContextClassLoader());
    }

    public List<DeviceProvider> all() {
        return providers;
    }

    public Optional<DeviceProvider> named(String name) {
        return providers.stream().filter(p -> p.name().equals(name)).findFirst();
    }
}

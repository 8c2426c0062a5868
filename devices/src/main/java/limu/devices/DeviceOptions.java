// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Reading a provider's {@code key=value} options, with messages a user understands. */
public final class DeviceOptions {
    private final String device;
    private final Map<String, String> options;

    /**
     * @param known the keys the device accepts
     * @throws IllegalArgumentException naming the unknown keys
     */
    public DeviceOptions(String device, Map<String, String> options, Set<String> known) {
        this.device = device;
        this.options = Map.copyOf(options);
        Set<String> unknown = new TreeSet<>(options.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(String.format("device %s: unknown option%s %s (known: %s)", device,
                    unknown.size() > 1 ? "s" : "", String.join(", ", unknown), String.join(", ", new TreeSet<>(known))));
        }
    }

    public String string(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }

    public boolean has(String key) {
        return options.containsKey(key);
    }

    /** A number in decimal or with a 0x prefix (hexadecimal). */
    public long number(String key, long fallback) {
        String text = options.get(key);
        if (text == null) {
            return fallback;
        }
        try {
            String t = text.trim().replace("_", "");
            return t.startsWith("0x") || t.startsWith("0X") ? Long.parseUnsignedLong(t.substring(2), 16)
                    : Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(String.format("device %s: %s=%s is not a number", device, key, text));
        }
    }

    /** {@link #number} checked against {@code min .. max}. */
    public long number(String key, long fallback, long min, long max) {
        long v = number(key, fallback);
        if (v < min || v > max) {
            throw new IllegalArgumentException(String.format("device %s: %s=%s is outside 0x%x..0x%x",
                    device, key, options.get(key), min, max));
        }
        return v;
    }
}

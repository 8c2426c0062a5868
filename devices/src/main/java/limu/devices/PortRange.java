// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/** Ports {@code first} .. {@code first + count - 1}. */
public record PortRange(int first, int count) {
    public PortRange {
        if (first < 0 || count <= 0 || first + count > 0x10000) {
            throw new IllegalArgumentException("bad port range " + first + "+" + count);
        }
    }

    public boolean contains(int port) {
        return port >= first && port < first + count;
    }
}

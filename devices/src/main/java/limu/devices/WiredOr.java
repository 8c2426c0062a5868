// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayList;
import java.util.List;

/**
 * Several interrupt sources on one controller input, as on a shared ISA/PCI
 * line: the output is asserted while any source is. Each source gets its own
 * {@link InterruptLine} from {@link #newSource()}; the output changes (and is
 * called) only when the OR changes. Used where two devices drive one pin, such
 * as the PIT and the HPET in legacy-replacement mode on IRQ0.
 */
public final class WiredOr {
    private final InterruptLine output;
    private final List<boolean[]> sources = new ArrayList<>();
    private int asserted;

    public WiredOr(InterruptLine output) {
        if (output == null) {
            throw new NullPointerException("output line");
        }
        this.output = output;
    }

    public InterruptLine newSource() {
        boolean[] level = new boolean[1];
        sources.add(level);
        return high -> {
            if (level[0] == high) {
                return;
            }
            level[0] = high;
            asserted += high ? 1 : -1;
            if (high && asserted == 1) {
                output.set(true);
            } else if (!high && asserted == 0) {
                output.set(false);
            }
        };
    }

    public boolean level() {
        return asserted > 0;
    }
}

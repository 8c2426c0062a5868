// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.util.Optional;

/** What {@code monitor lapic} shows; a platform with a local APIC model plugs its own in. */
@FunctionalInterface
public interface LocalApicView {
    LocalApicView NONE = cpu -> Optional.empty();

    /** A description of CPU {@code cpu}'s local APIC state, several lines; empty when there is no model. */
    Optional<String> describe(int cpu);
}

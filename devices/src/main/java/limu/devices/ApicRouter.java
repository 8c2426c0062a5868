// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@link ApicBus} of a machine: routes interrupt messages to the local APICs
 * their destination selects (physical ID, logical flat/cluster/x2APIC cluster,
 * broadcast, shorthands) and EOI broadcasts to the I/O APICs.
 * <p>
 * Lowest-priority messages go to the one selected APIC with the lowest
 * arbitration priority; ties go to the APIC added first, so routing is
 * deterministic. Hardware-disabled APICs receive nothing.
 */
public final class ApicRouter implements ApicBus {
    private final List<LocalApic> localApics = new ArrayList<>();
    private final List<IoApic> ioApics = new ArrayList<>();

    public void add(LocalApic apic) {
        localApics.add(apic);
    }

    public void add(IoApic ioApic) {
        ioApics.add(ioApic);
    }

    public List<LocalApic> localApics() {
        return List.copyOf(localApics);
    }

    @Override
    public void deliver(InterruptMessage message) {
        List<LocalApic> targets = targets(message);
        if (message.mode() == DeliveryMode.LOWEST_PRIORITY && !targets.isEmpty()) {
            LocalApic chosen = targets.get(0);
            for (LocalApic apic : targets) {
                if (apic.arbitrationPriority() < chosen.arbitrationPriority()) {
                    chosen = apic;
                }
            }
            chosen.accept(message);
            return;
        }
        for (LocalApic apic : targets) {
            apic.accept(message);
        }
    }

    /** The enabled local APICs {@code message} selects, in the order they were added. */
    public List<LocalApic> targets(InterruptMessage message) {
        List<LocalApic> targets = new ArrayList<>();
        for (LocalApic apic : localApics) {
            if (!apic.hardwareEnabled()) {
                continue;
            }
            boolean self = apic.apicId() == message.source();
            boolean selected = switch (message.shorthand()) {
                case SELF -> self;
                case ALL_INCLUDING_SELF -> true;
                case ALL_EXCLUDING_SELF -> !self;
                case NONE -> apic.matches(message);
            };
            if (selected) {
                targets.add(apic);
            }
        }
        return targets;
    }

    @Override
    public void broadcastEoi(int vector) {
        for (IoApic ioApic : ioApics) {
            ioApic.endOfInterrupt(vector);
        }
    }
}

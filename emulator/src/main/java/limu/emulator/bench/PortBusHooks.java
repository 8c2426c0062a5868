// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.bench;

import limu.devices.PortBus;
import limu.emulator.unicorn.CpuHooks;

/** An engine's port accesses handed to a port bus, nothing else: no write ever stops the engine. */
final class PortBusHooks implements CpuHooks {
    private final PortBus bus;

    PortBusHooks(PortBus bus) {
        this.bus = bus;
    }

    @Override
    public int portIn(int port, int size) {
        return bus.read(port, size);
    }

    @Override
    public boolean portOut(int port, int size, int value) {
        bus.write(port, size, value);
        return false;
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
package limu.example;

import limu.devices.*;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --device scratch[,base=ADDRESS][,irq=N][,name=NAME]}: a {@link ScratchDevice}. */
public final class ScratchDeviceProvider implements DeviceProvider {
    @Override
    public String name() {
        return "scratch";
    }

    @Override
    public String description() {
        return "MMIO scratch registers, counter, virtual time and a guest-driven interrupt (example plug-in)";
    }

    @Override
    public Map<String, String> options() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("base", String.format("MMIO base, 4 KiB aligned (default 0x%X)", ScratchDevice.DEFAULT_BASE));
        o.put("irq", "ISA IRQ for the IRQ register (default: none)");
        o.put("name", "device name (default scratch)");
        return o;
    }

    @Override
    public Device create(DeviceContext context, Map<String, String> options) {
        DeviceOptions o = new DeviceOptions(name(), options, options().keySet());
        long base = o.number("base", ScratchDevice.DEFAULT_BASE, 0, 0xFFFF_FFFF_F000L);
        if ((base & 0xFFF) != 0) {
            throw new IllegalArgumentException(String.format("device scratch: base 0x%x is not 4 KiB aligned", base));
        }
        InterruptLine line = o.has("irq") ? context.isaIrq((int) o.number("irq", 0, 0, 15)) : InterruptLine.DISCONNECTED;
        return new ScratchDevice(o.string("name", "scratch"), base, context.time(), line);
    }
}

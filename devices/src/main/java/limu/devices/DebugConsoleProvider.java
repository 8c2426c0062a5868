// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.Map;

/** {@code --device isa-debugcon[,port=0xE9]}: the Bochs/QEMU debug console, to the machine's console. */
public final class DebugConsoleProvider implements DeviceProvider {
    @Override
    public String name() {
        return "isa-debugcon";
    }

    @Override
    public String description() {
        return "bytes written to an I/O port go to the console (Bochs port 0xE9 hack)";
    }

    @Override
    public Map<String, String> options() {
        return Map.of("port", "I/O port (default 0xE9)");
    }

    @Override
    public Device create(DeviceContext context, Map<String, String> options) {
        DeviceOptions o = new DeviceOptions(name(), options, options().keySet());
        int port = (int) o.number("port", DebugConsole.DEFAULT_PORT, 0, 0xFFFF);
        return new DebugConsole(port, DebugConsole.DEFAULT_READBACK, context.console(), false);
    }
}

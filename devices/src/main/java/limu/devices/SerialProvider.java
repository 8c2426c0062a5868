// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --device isa-serial,port=0x2F8,irq=3[,file=PATH]}: another 16550 UART. */
public final class SerialProvider implements DeviceProvider {
    @Override
    public String name() {
        return "isa-serial";
    }

    @Override
    public String description() {
        return "16550A UART on an ISA port and IRQ (COM2: port=0x2F8,irq=3)";
    }

    @Override
    public Map<String, String> options() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("port", "base I/O port (default 0x2F8)");
        o.put("irq", "ISA IRQ (default 3)");
        o.put("file", "write output to this file (default: the console)");
        return o;
    }

    @Override
    public Device create(DeviceContext context, Map<String, String> options) {
        DeviceOptions o = new DeviceOptions(name(), options, options().keySet());
        int port = (int) o.number("port", Serial16550.COM2, 0, 0x10000 - Serial16550.REGISTER_COUNT);
        int irq = (int) o.number("irq", 3, 0, 15);
        OutputStream out;
        if (o.has("file")) {
            try {
                out = context.openOutput(o.string("file", null));
            } catch (IOException e) {
                throw new UncheckedIOException("device isa-serial: cannot open " + o.string("file", null), e);
            }
        } else {
            out = context.console();
        }
        return new Serial16550(port, out, context.isaIrq(irq));
    }
}

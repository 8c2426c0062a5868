// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import limu.devices.DeviceProvider;
import limu.devices.DeviceProviders;
import picocli.CommandLine.Command;

/** {@code limu devices}: the plug-in devices on the classpath, for {@code --device NAME[,key=value...]}. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"List the devices that `limu run --device NAME[,key=value...]` can attach: those",
            "built in and those in jars on the classpath (LIMU_CLASSPATH=a.jar:b.jar ./limu ...)."})
public final class DevicesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        for (DeviceProvider p : DeviceProviders.load(DevicesCommand.class.getClassLoader()).all()) {
            System.out.printf("%-14s %s%n", p.name(), p.description());
            for (Map.Entry<String, String> o : p.options().entrySet()) {
                System.out.printf("  %-12s %s%n", o.getKey(), o.getValue());
            }
        }
        return 0;
    }
}

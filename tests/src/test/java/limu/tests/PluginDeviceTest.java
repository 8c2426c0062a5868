// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A device that lives outside limu's modules (example-device/), found with
 * ServiceLoader from a jar on the classpath, attached with --device, and
 * driven by a kernel that checks its registers.
 */
class PluginDeviceTest {
    private static final String JAR = Limu.HOME.resolve("example-device/target/limu-example-device.jar").toString();

    @Test
    void aPluginDeviceFromAJarIsListedAttachedAndUsedByAKernel() {
        Limu.Result list = Limu.runWithClasspath(JAR, Map.of(), "devices");
        assertEquals(0, list.exitCode(), list.toString());
        assertTrue(list.stdout().contains("scratch"), list.toString());
        Limu.Result r = Limu.runWithClasspath(JAR, Map.of(), "run", Limu.kernel("scratch.elf").toString(),
                "--device", "scratch", "--timeout", "30s");
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("scratch: 6 checks, 0 failed"), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void withoutThePluginTheDevicesWindowIsUnbackedMemory() {
        Limu.Result list = Limu.run("devices");
        assertFalse(list.stdout().contains("scratch"), list.toString());
        Limu.Result r = Limu.run("run", Limu.kernel("scratch.elf").toString(), "--timeout", "30s");
        assertEquals(8, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("at physical 0xfebf0000, where no RAM or device is"), r.toString());
        r.assertNoStackTrace();
    }

    @Test
    void unknownDevicesAndBadOptionsAreUsageErrors() {
        Limu.Result r = Limu.run("run", Limu.kernel("hello.elf").toString(), "--device", "warp-drive");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("--device warp-drive: no such device"), r.toString());
        r = Limu.runWithClasspath(JAR, Map.of(), "run", Limu.kernel("hello.elf").toString(), "--device",
                "scratch,base=12");
        assertEquals(2, r.exitCode(), r.toString());
        r.assertNoStackTrace();
    }
}

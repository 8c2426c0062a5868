// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The machine and boot volume a bootloader test boots on: one CPU, a 1280x800 display, x2APIC, no modules, the
 * default device addresses and times, no volume. Each setter changes one setting and returns this, so a test
 * states only what it varies. (The emulator's machine configuration is the real implementation; the bootloader
 * cannot see it.)
 */
final class TestMachine implements BootOptions {
    private final long memoryBytes;
    private int cpus = 1;
    private String cmdline = "";
    private long bootEpochSeconds;
    private boolean fiveLevelPaging;
    private Optional<FramebufferSize> framebuffer = Optional.of(FramebufferSize.DEFAULT);
    private List<ModuleFile> modules = List.of();
    private boolean x2apic = true;
    private DeviceAddresses deviceAddresses = DeviceAddresses.DEFAULT;
    private BootloaderTimes bootloaderTimes = BootloaderTimes.DEFAULT;
    private BootVolume volume = BootVolume.NONE;
    private OptionalLong kaslrSeed = OptionalLong.empty();
    private long entropySeed = DEFAULT_ENTROPY_SEED;
    private List<String> extraAcpiTables = List.of();
    private long tscHz = DEFAULT_TSC_HZ;

    TestMachine(long memoryBytes) {
        this.memoryBytes = memoryBytes;
    }

    TestMachine cpus(int v) {
        cpus = v;
        return this;
    }

    TestMachine cmdline(String v) {
        cmdline = v;
        return this;
    }

    TestMachine bootEpochSeconds(long v) {
        bootEpochSeconds = v;
        return this;
    }

    TestMachine fiveLevelPaging(boolean v) {
        fiveLevelPaging = v;
        return this;
    }

    TestMachine framebuffer(int width, int height) {
        framebuffer = Optional.of(new FramebufferSize(width, height));
        return this;
    }

    TestMachine noFramebuffer() {
        framebuffer = Optional.empty();
        return this;
    }

    TestMachine modules(List<ModuleFile> v) {
        modules = v;
        return this;
    }

    TestMachine x2apic(boolean v) {
        x2apic = v;
        return this;
    }

    TestMachine deviceAddresses(DeviceAddresses v) {
        deviceAddresses = v;
        return this;
    }

    TestMachine bootloaderTimes(BootloaderTimes v) {
        bootloaderTimes = v;
        return this;
    }

    TestMachine kernelPath(String path) {
        volume = volume.withKernelPath(path);
        return this;
    }

    TestMachine files(ModuleResolver resolver) {
        volume = volume.withFiles(resolver);
        return this;
    }

    TestMachine kaslrSeed(OptionalLong v) {
        kaslrSeed = v;
        return this;
    }

    TestMachine entropySeed(long v) {
        entropySeed = v;
        return this;
    }

    TestMachine extraAcpiTables(List<String> v) {
        extraAcpiTables = v;
        return this;
    }

    TestMachine tscHz(long v) {
        tscHz = v;
        return this;
    }

    BootVolume volume() {
        return volume;
    }

    @Override
    public long memoryBytes() {
        return memoryBytes;
    }

    @Override
    public int cpus() {
        return cpus;
    }

    @Override
    public String cmdline() {
        return cmdline;
    }

    @Override
    public long bootEpochSeconds() {
        return bootEpochSeconds;
    }

    @Override
    public boolean fiveLevelPaging() {
        return fiveLevelPaging;
    }

    @Override
    public Optional<FramebufferSize> framebuffer() {
        return framebuffer;
    }

    @Override
    public List<ModuleFile> modules() {
        return modules;
    }

    @Override
    public boolean x2apic() {
        return x2apic;
    }

    @Override
    public DeviceAddresses deviceAddresses() {
        return deviceAddresses;
    }

    @Override
    public BootloaderTimes bootloaderTimes() {
        return bootloaderTimes;
    }

    @Override
    public OptionalLong kaslrSeed() {
        return kaslrSeed;
    }

    @Override
    public long entropySeed() {
        return entropySeed;
    }

    @Override
    public List<String> extraAcpiTables() {
        return extraAcpiTables;
    }

    @Override
    public long tscHz() {
        return tscHz;
    }
}

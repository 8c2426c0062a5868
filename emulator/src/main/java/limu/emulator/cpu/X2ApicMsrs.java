package limu.emulator.cpu;

/** Where RDMSR/WRMSR of the x2APIC range 0x800-0x8FF go; the local APIC plugs in here. */
public interface X2ApicMsrs {
    /** Until a local APIC exists: reads give 0, writes are ignored. */
    X2ApicMsrs NONE = new X2ApicMsrs() {
        @Override
        public long read(int cpu, int msr) {
            return 0;
        }

        @Override
        public void write(int cpu, int msr, long value) {
        }
    };

    long read(int cpu, int msr);

    void write(int cpu, int msr, long value);
}

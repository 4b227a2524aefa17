package dev.kith.mesh;

import dev.kith.mesh.config.ConfigSections;
import dev.kith.mesh.config.DeviceConfig;
import dev.kith.mesh.registry.DeviceRegistry;
import dev.kith.mesh.spi.config.ConfigException;
import dev.kith.mesh.spi.config.ConfigSection;
import dev.kith.mesh.spi.config.Setting;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The {@code kith} command: {@code run} (the default) starts a device, {@code status} shows the
 * mesh, {@code health-check} probes a device for container health checks, {@code export} and {@code
 * import} back up and restore an owner's vault, {@code login}, {@code logout}, {@code passwd},
 * {@code token} and {@code owner} manage sessions and accounts.
 *
 * <p>Exit codes: 0 after a clean stop (Ctrl-C or SIGTERM), 2 for a usage or configuration error, a
 * refused join token or a device name already in use, 3 when the device was removed from its mesh,
 * 1 for any other failure.
 */
public final class Main {

  /** A clean stop that takes longer than this is cut short. */
  private static final long STOP_DEADLINE_MILLIS = 4_000;

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    try {
      dispatch(args);
    } catch (Throwable e) {
      // Cluster threads would keep a half-started device alive with no edge: exit instead.
      log.error("kith failed: {}", e.toString(), e);
      System.err.println("kith: failed: " + e);
      Runtime.getRuntime().halt(ExitCode.FAILURE);
    }
  }

  private static void dispatch(String[] args) {
    List<String> rest = Arrays.asList(args);
    String command = "run";
    if (!rest.isEmpty() && !rest.get(0).startsWith("-")) {
      command = rest.get(0);
      rest = rest.subList(1, rest.size());
    } else if (!rest.isEmpty() && List.of("--help", "-h").contains(rest.get(0))) {
      command = "help";
    } else if (!rest.isEmpty() && rest.get(0).equals("--version")) {
      command = "version";
    }
    int code =
        switch (command) {
          case "run" -> run(rest);
          case "status" -> StatusCommand.status(rest);
          case "init" -> InitCommand.init(rest);
          case "invite" -> TrustCommand.invite(rest);
          case "remove-device" -> TrustCommand.removeDevice(rest);
          case "health-check" -> StatusCommand.healthCheck(rest);
          case "export" -> BackupCommand.export(rest);
          case "import" -> BackupCommand.importFile(rest);
          case "login" -> LoginCommand.login(rest);
          case "logout" -> LoginCommand.logout(rest);
          case "passwd" -> LoginCommand.passwd(rest);
          case "token" -> LoginCommand.token(rest);
          case "owner" -> OwnerCommand.owner(rest);
          case "help" -> help();
          case "version" -> {
            System.out.println("kith " + Device.version());
            yield ExitCode.OK;
          }
          default -> {
            String name = command;
            var module = ModuleCommands.find(name);
            if (module.isPresent()) {
              yield ModuleCommands.run(module.get(), rest);
            }
            System.err.println("kith: " + command + ": unknown command (see kith --help)");
            yield ExitCode.USAGE;
          }
        };
    if (code != ExitCode.OK || !command.equals("run")) {
      System.exit(code);
    }
  }

  private static int run(List<String> args) {
    if (args.contains("--help") || args.contains("-h")) {
      return help();
    }
    DeviceConfig config;
    try {
      config =
          DeviceConfig.load(
              args,
              System.getenv(),
              unknown -> log.warn("ignoring environment variable {}: not a Kith setting", unknown));
    } catch (ConfigException e) {
      System.err.println("kith: " + e.getMessage());
      return ExitCode.USAGE;
    }

    Device device;
    try {
      device = Device.start(config).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ConfigException || cause instanceof DeviceRegistry.NameInUseException) {
        System.err.println("kith: " + cause.getMessage());
        return ExitCode.USAGE;
      }
      log.error(
          "device {} failed to start; check the log above, the ports and {}",
          config.name(),
          config.home(),
          cause);
      System.err.println("kith: " + config.name() + " failed to start: " + cause);
      return ExitCode.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.FAILURE;
    }
    stopOnSignal(device);
    device
        .removed()
        .onComplete(
            removed -> {
              Thread stopper =
                  new Thread(
                      () -> {
                        CountDownLatch stopped = new CountDownLatch(1);
                        device.stop().onComplete(r -> stopped.countDown());
                        try {
                          stopped.await(STOP_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        Runtime.getRuntime().halt(ExitCode.REMOVED);
                      },
                      "kith-removed");
              stopper.start();
            });
    return ExitCode.OK;
  }

  /** Ctrl-C and SIGTERM leave the mesh cleanly and exit 0. */
  private static void stopOnSignal(Device device) {
    AtomicBoolean stopping = new AtomicBoolean();
    Runnable stop =
        () -> {
          if (!stopping.compareAndSet(false, true)) {
            return;
          }
          Thread stopper =
              new Thread(
                  () -> {
                    CountDownLatch stopped = new CountDownLatch(1);
                    device.stop().onComplete(r -> stopped.countDown());
                    try {
                      if (!stopped.await(STOP_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)) {
                        log.error(
                            "device {} did not stop within {} ms; exiting anyway",
                            device.config().name(),
                            STOP_DEADLINE_MILLIS);
                      } else {
                        log.info("device {} stopped", device.config().name());
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    Runtime.getRuntime().halt(ExitCode.OK);
                  },
                  "kith-stop");
          stopper.start();
        };
    Signal.handle(new Signal("INT"), signal -> stop.run());
    Signal.handle(new Signal("TERM"), signal -> stop.run());
  }

  private static int help() {
    StringBuilder text = new StringBuilder();
    text.append("kith ")
        .append(Device.version())
        .append(": your own mail, web, chat and social feed on your own devices\n\n")
        .append("usage:\n")
        .append("  kith [run] [options]          start this device (the default)\n")
        .append("  kith init [--owner OWNER] [--ca-home DIR] [options]\n")
        .append(
            "                                create a mesh in an empty home (or a certificate\n")
        .append("                                from DIR's CA), with --owner its first owner\n")
        .append("  kith login OWNER [--url URL]  log in; keeps the session in the home (0600)\n")
        .append("  kith logout                   end the session, mesh-wide\n")
        .append("  kith passwd                   change the logged-in owner's password\n")
        .append("  kith token                    print an access token of the session\n")
        .append("  kith owner add NAME [--admin] | list | remove NAME\n")
        .append("                                the mesh's owners (administrators)\n")
        .append("  kith invite [--url URL] [--ttl-minutes N]\n")
        .append("                                print a single-use join token (administrators)\n")
        .append("  kith remove-device NAME [--url URL]\n")
        .append("                                revoke a device's certificate, mesh-wide\n")
        .append("  kith status [--url URL]       show the mesh's devices and services\n")
        .append("  kith health-check [--url URL] exit 0 if the device answers /health\n")
        .append("  kith export [--owner OWNER] --out FILE [--url URL]\n")
        .append("                                copy an owner's vault (yours) into a file\n")
        .append("  kith import FILE [--owner OWNER] [--url URL]\n")
        .append(
            "                                restore a vault from such a file (safe to repeat)\n")
        .append(moduleCommands())
        .append("  kith --help | --version\n\n")
        .append("client commands send KITH_ACCESS_TOKEN if set, else the session of kith login\n")
        .append("in --home DIR (default ~/.kith), else that home's operator token, which only\n")
        .append("its own device accepts. Passwords are read from the terminal or stdin.\n\n")
        .append("options (each also KITH_<NAME> in the environment and <name> in the file):\n");
    for (DeviceConfig.Key key : DeviceConfig.Key.values()) {
      helpLine(text, key.setting());
    }
    // Each module's own settings, from its configuration section.
    for (ConfigSection<?> section : ConfigSections.installed()) {
      text.append('\n').append(section.name()).append(" options:\n");
      section.settings().forEach(setting -> helpLine(text, setting));
    }
    System.out.print(text);
    return ExitCode.OK;
  }

  /** The usage lines of the commands that service modules add. */
  private static String moduleCommands() {
    StringBuilder text = new StringBuilder();
    for (var command : ModuleCommands.installed()) {
      text.append(String.format("  kith %s%n", command.usage()));
      text.append(String.format("%32s%s%n", "", command.summary()));
    }
    return text.toString();
  }

  private static void helpLine(StringBuilder text, Setting setting) {
    String shown =
        setting.defaultValue() == null || setting.defaultValue().isEmpty()
            ? setting.help()
            : setting.help() + " (default " + setting.defaultValue() + ")";
    text.append(String.format("  %-34s %s%n", setting.flagName(), shown));
  }
}

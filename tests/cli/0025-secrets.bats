#!/usr/bin/env bats
# The secret store: the OS keychain (a real Secret Service, GNOME Keyring
# under its own D-Bus session) when one answers, the 0600 file store when none
# does, and moving secrets from the files into the keychain. The secrets
# stored are Pluto Cloud tokens, from a real sign-in.

load helper

load cloud

setup_file() {
    cloud_start
}

teardown_file() {
    cloud_stop
}

setup() {
    init_home
    export HOME="$BATS_TEST_TMPDIR/user" # the keyring's files are this test's own
    mkdir -p "$HOME"
    unset DBUS_SESSION_BUS_ADDRESS
}

# A script run with a Secret Service: its own session bus and an unlocked GNOME Keyring.
in_keyring() {
    PD="$PD" CLOUD_URL="$CLOUD_URL" dbus-run-session -- bash -c 'echo -n keyring-password | gnome-keyring-daemon --unlock \
        --components=secrets >/dev/null 2>&1; sleep 0.3; eval "$1"' _ "$1" 2>&1 |
        grep -v 'Failed to set fd limit'
}

@test "no Secret Service: the file store, and doctor says so" {
    run pd secrets status --format csv
    [ "$status" -eq 0 ]
    [[ "$output" == *'store,"file (secrets/, 0600)"'* ]]
    cloud_login
    [ -f "$PLUTO_DUCK_HOME/secrets/cloud.refresh_token" ]
    run pd doctor --format csv
    [[ "$output" == *'secrets,ok,"file (secrets/, 0600)"'* ]]
}

@test "with a Secret Service: tokens go to the keychain, none to files, and are read back" {
    run in_keyring '
        "$PD" secrets status
        cloud_login
        ls "$PLUTO_DUCK_HOME/secrets" 2>/dev/null | grep -c cloud || true
        secret-tool lookup home "$PLUTO_DUCK_HOME" key cloud.refresh_token | cut -c1-4; echo
        "$PD" cloud status --format csv | grep "^state"'
    echo "$output"
    [[ "$output" == *"keychain (Secret Service)"* ]]
    [[ "$output" == *$'\n0\n'* ]]
    [[ "$output" == *"pcr_"* ]]
    [[ "$output" == *"state,signed in"* ]]
}

@test "migrate moves the file store's secrets into the keychain; PLUTO_DUCK_SECRET_STORE=file keeps files" {
    cloud_login # no bus yet: the tokens are files
    [ -f "$PLUTO_DUCK_HOME/secrets/cloud.access_token" ]
    run in_keyring '
        "$PD" doctor --format csv | grep "^secrets"
        "$PD" secrets migrate
        ls "$PLUTO_DUCK_HOME/secrets" | wc -l
        "$PD" cloud status --format csv | grep "^state"
        PLUTO_DUCK_SECRET_STORE=file "$PD" secrets status --format csv | grep "^store"'
    echo "$output"
    [[ "$output" == *"secrets,warn,"*"2 secrets still in files (run: pluto-duck secrets migrate)"* ]]
    [[ "$output" == *"moved 2 secrets into the keychain"* ]]
    [[ "$output" == *$'\n0\n'* ]]
    [[ "$output" == *"state,signed in"* ]]
    [[ "$output" == *'store,"file (secrets/'* ]]
    run pd secrets migrate # no keychain here
    [ "$status" -eq 1 ]
    [[ "$output" == *"no keychain to move the secrets to"* ]]
}

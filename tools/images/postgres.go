package main

// postgresImage stands in for postgres:17.6-bookworm with Debian bookworm's PostgreSQL 15,
// laid out as docker-library/postgres's 17/bookworm/Dockerfile does it (user postgres
// 999:999 created before the packages, create_main_cluster = false, listen_addresses '*' in
// the sample config, /var/run/postgresql 3777, PGDATA 1777, en_US.utf8, gosu, nss_wrapper)
// and postgresEntrypoint for its docker-entrypoint.sh. The program's database needs
// nothing of 17 (LiteLLM's Prisma schema runs on 12+).
func postgresImage() Image {
	bin := "/usr/lib/postgresql/" + PostgresMajor + "/bin"
	return Image{
		Ref: "postgres:17.6-bookworm",
		BuiltFrom: "Debian bookworm's postgresql-" + PostgresMajor + " (PostgreSQL " + PostgresMajor + ", not 17: a stand-in) on bookworm minbase, " +
			"user postgres 999:999, with an entrypoint that does what docker-library/postgres's docker-entrypoint.sh does " +
			"(POSTGRES_USER/PASSWORD/DB, PGDATA, initdb on an empty data dir)",
		Cold: "~2 min",
		Steps: []Step{
			Run("groupadd -r postgres --gid=999 && useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres" +
				" && install --directory --owner postgres --group postgres --mode 1777 /var/lib/postgresql"),
			Apt("locales"),
			Run("echo 'en_US.UTF-8 UTF-8' >> /etc/locale.gen && locale-gen && locale -a | grep -qx en_US.utf8"),
			Apt("gosu", "libnss-wrapper", "xz-utils", "zstd", "less", "postgresql-common"),
			// Debian would otherwise create and start a "main" cluster on install.
			Run("sed -ri 's/#(create_main_cluster) .*$/\\1 = false/' /etc/postgresql-common/createcluster.conf" +
				" && grep -qx 'create_main_cluster = false' /etc/postgresql-common/createcluster.conf"),
			Apt("postgresql-" + PostgresMajor),
			Run("dpkg-divert --add --rename --divert /usr/share/postgresql/postgresql.conf.sample.dpkg /usr/share/postgresql/" + PostgresMajor + "/postgresql.conf.sample" +
				" && cp /usr/share/postgresql/postgresql.conf.sample.dpkg /usr/share/postgresql/postgresql.conf.sample" +
				" && ln -s ../postgresql.conf.sample /usr/share/postgresql/" + PostgresMajor + "/" +
				" && sed -ri \"s!^#?(listen_addresses)\\s*=\\s*\\S+.*!\\1 = '*'!\" /usr/share/postgresql/postgresql.conf.sample" +
				" && grep -qF \"listen_addresses = '*'\" /usr/share/postgresql/postgresql.conf.sample" +
				" && install --directory --owner postgres --group postgres --mode 3777 /var/run/postgresql" +
				" && install --directory --owner postgres --group postgres --mode 1777 /var/lib/postgresql/data" +
				" && mkdir /docker-entrypoint-initdb.d"),
		},
		Files: []File{{Path: "/usr/local/bin/docker-entrypoint.sh", Mode: 0o755, Content: postgresEntrypoint}},
		Verify: []string{
			"PATH=$PATH:" + bin + " postgres --version | grep -q '(PostgreSQL) " + PostgresMajor + "\\.'",
			"gosu nobody true",
			"LANG=en_US.utf8 locale -a | grep -qx en_US.utf8",
		},
		Config: Config{
			Env: []string{
				"PATH=" + defaultPath + ":" + bin,
				"PG_MAJOR=" + PostgresMajor,
				"LANG=en_US.utf8",
				"PGDATA=/var/lib/postgresql/data",
			},
			Entrypoint:   []string{"docker-entrypoint.sh"},
			Cmd:          []string{"postgres"},
			ExposedPorts: []string{"5432/tcp"},
			Volumes:      []string{"/var/lib/postgresql/data"},
			StopSignal:   "SIGINT",
		},
	}
}

// postgresEntrypoint follows docker-library/postgres 17/bookworm/docker-entrypoint.sh for
// what a container of this program can set: POSTGRES_PASSWORD (or _FILE), POSTGRES_USER
// (default postgres), POSTGRES_DB (default the user), POSTGRES_INITDB_ARGS,
// POSTGRES_INITDB_WALDIR, POSTGRES_HOST_AUTH_METHOD (default password_encryption, i.e.
// scram-sha-256), PGDATA; initdb only when PGDATA has no PG_VERSION, as the current uid
// (nss_wrapper when that uid has no passwd entry, root re-executes as postgres with gosu),
// a socket-only server for creating the database and running /docker-entrypoint-initdb.d,
// then exec of the command. Not carried over: the 18+ data-directory layout check.
const postgresEntrypoint = `#!/usr/bin/env bash
# Stand-in for docker-library/postgres's docker-entrypoint.sh (17/bookworm); see
# tools/images/postgres.go for what it covers.
set -Eeo pipefail

# from_env_or_file VAR [DEFAULT]: VAR, or the content of the file named by VAR_FILE.
from_env_or_file() {
	local var="$1" file_var="${1}_FILE" value="${2:-}"
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		echo "error: both $var and $file_var are set; set one" >&2
		exit 1
	fi
	if [ -n "${!var:-}" ]; then
		value="${!var}"
	elif [ -n "${!file_var:-}" ]; then
		value="$(< "${!file_var}")"
	fi
	export "$var"="$value"
	unset "$file_var"
}

wants_help() {
	local a
	for a; do
		case "$a" in -'?'|--help|--describe-config|-V|--version) return 0 ;; esac
	done
	return 1
}

sql() { # psql as the superuser on the socket, stopping at the first error
	local args=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	[ -z "$POSTGRES_DB" ] || args+=(--dbname "$POSTGRES_DB")
	PGHOST= PGHOSTADDR= "${args[@]}" "$@"
}

init_database() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		echo "error: the database is not initialised and POSTGRES_PASSWORD is empty; set it (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
		exit 1
	fi
	ls /docker-entrypoint-initdb.d/ > /dev/null

	# initdb wants the current uid in passwd: fake it with nss_wrapper when it is not.
	local uid gid wrapper
	uid="$(id -u)"; gid="$(id -g)"
	if ! getent passwd "$uid" > /dev/null 2>&1; then
		for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so /lib/*/libnss_wrapper.so; do
			if [ -s "$wrapper" ]; then
				NSS_WRAPPER_PASSWD="$(mktemp)"; NSS_WRAPPER_GROUP="$(mktemp)"
				export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
				printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$uid" "$gid" "$PGDATA" > "$NSS_WRAPPER_PASSWD"
				printf 'postgres:x:%s:\n' "$gid" > "$NSS_WRAPPER_GROUP"
				break
			fi
		done
	fi
	local waldir=()
	[ -z "${POSTGRES_INITDB_WALDIR:-}" ] || waldir=(--waldir "$POSTGRES_INITDB_WALDIR")
	# An empty --pwfile is refused, hence the newline.
	eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "${waldir[@]}"'
	if [[ "${LD_PRELOAD:-}" == */libnss_wrapper.so ]]; then
		rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
		unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
	fi

	# Remote connections: the configured password_encryption unless a method is given.
	local server_args=("$@")
	[ "${server_args[0]:-}" != postgres ] || server_args=("${server_args[@]:1}")
	: "${POSTGRES_HOST_AUTH_METHOD:=$(postgres -C password_encryption "${server_args[@]}")}"
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

	export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
	# A server on the socket only, for setup.
	NOTIFY_SOCKET= PGUSER="${PGUSER:-$POSTGRES_USER}" \
		pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${server_args[@]}" -c listen_addresses='' -p "${PGPORT:-5432}")" -w start
	local exists
	exists="$(POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
		SELECT 1 FROM pg_database WHERE datname = :'db' ;
	EOSQL
	)"
	if [ -z "$exists" ]; then
		POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
	fi
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sh) if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
			*.sql) echo "$0: running $f"; sql -f "$f" ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | sql ;;
			*.sql.xz) echo "$0: running $f"; xzcat "$f" | sql ;;
			*.sql.zst) echo "$0: running $f"; zstd -dc "$f" | sql ;;
			*/\*) ;;
			*) echo "$0: ignoring $f" ;;
		esac
	done
	PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
	unset PGPASSWORD
	echo
	echo 'PostgreSQL init process complete; ready for start up.'
	echo
}

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi
if [ "$1" = postgres ] && ! wants_help "$@"; then
	from_env_or_file POSTGRES_PASSWORD
	from_env_or_file POSTGRES_USER postgres
	from_env_or_file POSTGRES_DB "$POSTGRES_USER"
	from_env_or_file POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"

	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		[ "$(id -u)" != 0 ] || find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres '{}' +
		chmod 700 "$POSTGRES_INITDB_WALDIR"
	fi
	if [ "$(id -u)" = 0 ]; then
		find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
		exec gosu postgres "$BASH_SOURCE" "$@"
	fi
	if [ -s "$PGDATA/PG_VERSION" ]; then
		echo
		echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
		echo
	else
		init_database "$@"
	fi
fi
exec "$@"
`

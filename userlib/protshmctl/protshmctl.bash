# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# bash completion for protshmctl(8)

# _protshmctl_segments - names of the segments of this IPC namespace
_protshmctl_segments()
{
	protshmctl list 2>/dev/null | awk 'NR > 1 { print $2 }'
}

_protshmctl()
{
	local cur prev words cword cmd i
	_init_completion || return

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-j --json -p --pretty -h --help -V --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'list show restrict lease monitor help' -- "$cur"))
		fi
		return
	fi
	# position of the word being completed among the command's arguments
	local n=$((cword - i))
	case $cmd:$n in
	list:1 | show:1 | restrict:1 | monitor:1)
		COMPREPLY=($(compgen -W "-h $(_protshmctl_segments)" -- "$cur")) ;;
	show:2 | restrict:2)
		_pids ;;
	restrict:3)
		COMPREPLY=($(compgen -W 'rw r none' -- "$cur")) ;;
	restrict:4)
		COMPREPLY=($(compgen -W '-d' -- "$cur")) ;;
	help:1)
		COMPREPLY=($(compgen -W 'list show restrict monitor' -- "$cur")) ;;
	esac
} &&
	complete -F _protshmctl protshmctl

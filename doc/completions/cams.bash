_cams() {
    local IFS=$' \t\n'
    local args cur prev cmd opts arg
    args=("${COMP_WORDS[@]}")
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    opts="-h --help --version --profile --region --endpoint --ca-file --signature --timeout --retries --qps --redis --output --query --dry-run --debug"

    case "$prev" in
        --profile)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --region)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --endpoint)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --ca-file)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --signature)
            COMPREPLY=($(compgen -W "v3 v2" -- "$cur"))
            return 0
            ;;
        --timeout)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --retries)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --qps)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --redis)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
        --output)
            COMPREPLY=($(compgen -W "json table tsv" -- "$cur"))
            return 0
            ;;
        --query)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
            ;;
    esac

    args=("${args[@]:1}")
    for arg in "${args[@]}"; do
        case "$arg" in
            qrdl)
                cmd="qrdl"
                opts="$opts -h --help"
                args=("${args[@]:1}")
                for arg in "${args[@]}"; do
                    case "$arg" in
                        create)
                            cmd="$cmd create"
                            opts="$opts -h --help --phone-number --prefilled-message --generate-qr-image --cust-space-id --show --invert --level --save"
                            break
                            ;;
                        update)
                            cmd="$cmd update"
                            opts="$opts -h --help --phone-number --qrdl-code --prefilled-message --generate-qr-image --cust-space-id -y --yes --show --invert --level --save"
                            break
                            ;;
                        list)
                            cmd="$cmd list"
                            opts="$opts -h --help --phone-number --cust-space-id"
                            break
                            ;;
                        delete)
                            cmd="$cmd delete"
                            opts="$opts -h --help --phone-number --qrdl-code --cust-space-id -y --yes"
                            break
                            ;;
                        update-batch)
                            cmd="$cmd update-batch"
                            opts="$opts -h --help --input-format --output-file --overwrite --journal --resume --retry-failed --save-images --render-images --max-failures --progress-interval -y --yes --phone-number --prefilled-message --generate-qr-image --cust-space-id"
                            break
                            ;;
                        show)
                            cmd="$cmd show"
                            opts="$opts -h --help --phone-number --qrdl-code --cust-space-id --deep-link --invert --level --save"
                            break
                            ;;
                        export)
                            cmd="$cmd export"
                            opts="$opts -h --help --phone-number --all-numbers --cust-space-id --output-file --format"
                            break
                            ;;
                        plan)
                            cmd="$cmd plan"
                            opts="$opts -h --help --detailed-exitcode --out"
                            break
                            ;;
                        apply)
                            cmd="$cmd apply"
                            opts="$opts -h --help -y --yes --resume"
                            break
                            ;;
                    esac
                done
                break
                ;;
            call)
                cmd="call"
                opts="$opts -h --help --api-version"
                break
                ;;
        esac
    done

    case "$cmd" in
        '')
            COMPREPLY=($(compgen -W "qrdl call" -- "$cur"))
            ;;
        'qrdl')
            COMPREPLY=($(compgen -W "create update list delete update-batch show export plan apply" -- "$cur"))
            ;;
        'qrdl create')
            case "$prev" in
                --phone-number)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --prefilled-message)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --generate-qr-image)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --cust-space-id)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --level)
                    COMPREPLY=($(compgen -W "L M Q H" -- "$cur"))
                    return 0
                    ;;
                --save)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'qrdl update')
            case "$prev" in
                --phone-number)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --qrdl-code)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --prefilled-message)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --generate-qr-image)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --cust-space-id)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --level)
                    COMPREPLY=($(compgen -W "L M Q H" -- "$cur"))
                    return 0
                    ;;
                --save)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'qrdl list')
            case "$prev" in
                --phone-number)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --cust-space-id)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'qrdl delete')
            case "$prev" in
                --phone-number)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --qrdl-code)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --cust-space-id)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'qrdl update-batch')
            case "$prev" in
                --input-format)
                    COMPREPLY=($(compgen -W "csv jsonl" -- "$cur"))
                    return 0
                    ;;
                --output-file)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --journal)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --save-images)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --max-failures)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --progress-interval)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --phone-number)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --prefilled-message)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --generate-qr-image)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --cust-space-id)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'qrdl show')
            case "$prev" in
                --phone-number)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --qrdl-code)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --cust-space-id)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --deep-link)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --level)
                    COMPREPLY=($(compgen -W "L M Q H" -- "$cur"))
                    return 0
                    ;;
                --save)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'qrdl export')
            case "$prev" in
                --phone-number)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --cust-space-id)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --output-file)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "yaml json csv html" -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'qrdl plan')
            case "$prev" in
                --out)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
        'call')
            case "$prev" in
                --api-version)
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return 0
                    ;;
            esac

            ;;
    esac

    if [[ "$cur" = -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    fi
}

complete -F _cams -o bashdefault -o default cams

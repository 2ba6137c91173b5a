function __fish_cams_print_command
    set -l cmdline (commandline -poc)
    set -l cmd
    set -e cmdline[1]
    for arg in $cmdline
        switch $arg
            case qrdl
                set cmd $cmd qrdl
                set -e cmdline[1]
                for arg in $cmdline
                    switch $arg
                        case create
                            set cmd $cmd create
                            break
                        case update
                            set cmd $cmd update
                            break
                        case list
                            set cmd $cmd list
                            break
                        case delete
                            set cmd $cmd delete
                            break
                        case update-batch
                            set cmd $cmd update-batch
                            break
                        case show
                            set cmd $cmd show
                            break
                        case export
                            set cmd $cmd export
                            break
                        case plan
                            set cmd $cmd plan
                            break
                        case apply
                            set cmd $cmd apply
                            break
                    end
                end
                break
            case call
                set cmd $cmd call
                break
        end
    end
    echo "$cmd"
end

function __fish_cams_using_command
    test (__fish_cams_print_command) = "$argv"
    and return 0
    or return 1
end

function __fish_cams_seen_command
    string match -q "$argv*" (__fish_cams_print_command)
    and return 0
    or return 1
end

complete -c cams -n '__fish_cams_using_command' -xa 'qrdl' -d 'Message QR codes: create, update, list, delete, update-batch, show; as code: export, plan, apply'
complete -c cams -n '__fish_cams_using_command' -xa 'call' -d 'Call any CAMS action with PascalCase parameters: cams call ListPhoneMessageQrdl PhoneNumber=8615800000000'
complete -c cams -s h -l help -d 'Show this help message and exit'
complete -c cams -l version -d 'Print the version of cams and lua-cams, and exit'
complete -c cams -l profile -r -d 'Credential profile to use'
complete -c cams -l region -r -d 'Region id (default: ALIBABA_CLOUD_REGION_ID, else ap-southeast-1)'
complete -c cams -l endpoint -r -d 'Endpoint, host[:port] or https://host[:port] (overrides --region)'
complete -c cams -l ca-file -r -d 'PEM bundle of certificate authorities to trust'
complete -c cams -l signature -xa 'v3 v2' -d 'Signature version: v3 (default) or v2'
complete -c cams -l timeout -r -d 'Seconds allowed per attempt'
complete -c cams -l retries -r -d 'Retries of throttled and failed attempts (default 3)'
complete -c cams -l qps -r -d 'Calls per second and operation (default: the documented 5), or off'
complete -c cams -l redis -r -d 'Pace the calls with every client of the account, on every machine, through this Redis: redis://[user:password@]host:port[/db] (default: CAMS_REDIS_URL)'
complete -c cams -l output -xa 'json table tsv' -d 'Output format: json (default), table or tsv'
complete -c cams -l query -r -d 'Print only the value at this dotted path (e.g'
complete -c cams -l dry-run -d 'Print the signed request that would be sent (secrets redacted); send nothing'
complete -c cams -l debug -d 'Trace requests and responses on stderr (secrets redacted), with the library\'s choices (credentials, rate limiting)'

complete -c cams -n '__fish_cams_using_command qrdl' -xa 'create' -d 'Create a QR code (with deep link) for a phone number'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'update' -d 'Change the prefilled message or image format of a QR code'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'list' -d 'List the QR codes of a phone number'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'delete' -d 'Delete a QR code'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'update-batch' -d 'Update many QR codes from a CSV or JSON Lines file, paced at the rate limit, with a journal to resume from'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'show' -d 'Draw a QR code on the terminal, with its message and deep link: a code of a phone number (looked up with list), or any deep link (nothing is sent)'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'export' -d 'Write the QR codes of phone numbers as a desired state (YAML or JSON, with its state file FILE.state.json for cams qrdl plan and apply), a CSV list or a printable HTML sheet'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'plan' -d 'Show what cams qrdl apply would change to bring the live QR codes to a desired state (YAML or JSON): + create, ~ update, - delete, with the printed codes that stop working'
complete -c cams -n '__fish_cams_using_command qrdl' -xa 'apply' -d 'Make the changes of cams qrdl plan: from a desired state (planned anew) or a saved plan (refused when the server changed since)'
complete -c cams -n '__fish_cams_seen_command qrdl' -s h -l help -d 'Show this help message and exit'

complete -c cams -n '__fish_cams_seen_command qrdl create' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l phone-number -r -d 'Phone number, country code first (e.g'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l prefilled-message -r -d 'Message prefilled in the chat (UTF-8; line breaks allowed)'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l generate-qr-image -r -d 'Image format of the QR code: SVG or PNG'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l cust-space-id -r -d 'Space ID of an ISV sub-customer, or instance ID of a direct customer'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l show -d 'Draw the new code on stderr (stdout keeps the result)'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l invert -d 'Draw light on dark, for terminals with a dark background'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l level -xa 'L M Q H' -d 'Error correction of the picture: L, M (default), Q or H'
complete -c cams -n '__fish_cams_seen_command qrdl create' -l save -r -d 'Write the picture of the new code to this file too: PNG or SVG, by its extension (an existing file is replaced)'

complete -c cams -n '__fish_cams_seen_command qrdl update' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l phone-number -r -d 'Phone number, country code first (e.g'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l qrdl-code -r -d 'The QR code\'s code, as create and list return it'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l prefilled-message -r -d 'Message prefilled in the chat (UTF-8; line breaks allowed)'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l generate-qr-image -r -d 'Image format of the QR code: SVG or PNG'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l cust-space-id -r -d 'Space ID of an ISV sub-customer, or instance ID of a direct customer'
complete -c cams -n '__fish_cams_seen_command qrdl update' -s y -l yes -d 'Confirm without asking'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l show -d 'Draw the new code on stderr (stdout keeps the result)'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l invert -d 'Draw light on dark, for terminals with a dark background'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l level -xa 'L M Q H' -d 'Error correction of the picture: L, M (default), Q or H'
complete -c cams -n '__fish_cams_seen_command qrdl update' -l save -r -d 'Write the picture of the new code to this file too: PNG or SVG, by its extension (an existing file is replaced)'

complete -c cams -n '__fish_cams_seen_command qrdl list' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl list' -l phone-number -r -d 'Phone number, country code first (e.g'
complete -c cams -n '__fish_cams_seen_command qrdl list' -l cust-space-id -r -d 'Space ID of an ISV sub-customer, or instance ID of a direct customer'

complete -c cams -n '__fish_cams_seen_command qrdl delete' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl delete' -l phone-number -r -d 'Phone number, country code first (e.g'
complete -c cams -n '__fish_cams_seen_command qrdl delete' -l qrdl-code -r -d 'The QR code\'s code, as create and list return it'
complete -c cams -n '__fish_cams_seen_command qrdl delete' -l cust-space-id -r -d 'Space ID of an ISV sub-customer, or instance ID of a direct customer'
complete -c cams -n '__fish_cams_seen_command qrdl delete' -s y -l yes -d 'Confirm without asking'

complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l input-format -xa 'csv jsonl' -d 'Format of FILE when its extension does not say'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l output-file -r -d 'Results file, CSV when it ends in .csv, else JSON Lines (default: FILE\'s name with .results.jsonl)'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l overwrite -d 'Replace an existing results file (refused otherwise, unless --resume continues the run that wrote it)'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l journal -r -d 'Journal of finished rows (default: the output file + .journal)'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l resume -d 'Continue an interrupted run from its journal, skipping finished rows'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l retry-failed -d 'With --resume: process the rows that failed again'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l save-images -r -d 'Download the QR image of every updated code into this folder'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l render-images -d 'With --save-images: draw each image locally from its deep link (format: the row\'s generate_qr_image) instead of downloading it'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l max-failures -r -d 'Stop after this many failed rows (the rest can be resumed)'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l progress-interval -r -d 'Seconds between progress lines when stderr is not a terminal (default 5)'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -s y -l yes -d 'Confirm without asking'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l phone-number -r -d 'Phone number, country code first (e.g'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l prefilled-message -r -d 'Message prefilled in the chat (UTF-8; line breaks allowed)'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l generate-qr-image -r -d 'Image format of the QR code: SVG or PNG'
complete -c cams -n '__fish_cams_seen_command qrdl update-batch' -l cust-space-id -r -d 'Space ID of an ISV sub-customer, or instance ID of a direct customer'

complete -c cams -n '__fish_cams_seen_command qrdl show' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl show' -l phone-number -r -d 'Phone number of the code, country code first'
complete -c cams -n '__fish_cams_seen_command qrdl show' -l qrdl-code -r -d 'The code to draw, as create and list return it'
complete -c cams -n '__fish_cams_seen_command qrdl show' -l cust-space-id -r -d 'Space ID of an ISV sub-customer, or instance ID of a direct customer'
complete -c cams -n '__fish_cams_seen_command qrdl show' -l deep-link -r -d 'Draw this deep link (an http:// or https:// URL) instead'
complete -c cams -n '__fish_cams_seen_command qrdl show' -l invert -d 'Draw light on dark, for terminals with a dark background'
complete -c cams -n '__fish_cams_seen_command qrdl show' -l level -xa 'L M Q H' -d 'Error correction of the picture: L, M (default), Q or H'
complete -c cams -n '__fish_cams_seen_command qrdl show' -l save -r -d 'Write the picture to this file too: PNG or SVG, by its extension (an existing file is replaced)'

complete -c cams -n '__fish_cams_seen_command qrdl export' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl export' -l phone-number -r -d 'A phone number whose codes to export (repeatable)'
complete -c cams -n '__fish_cams_seen_command qrdl export' -l all-numbers -d 'Export the codes of every phone number of the account'
complete -c cams -n '__fish_cams_seen_command qrdl export' -l cust-space-id -r -d 'Space ID of an ISV sub-customer, or instance ID of a direct customer'
complete -c cams -n '__fish_cams_seen_command qrdl export' -l output-file -r -d 'Write to FILE (default: standard output, without a state file)'
complete -c cams -n '__fish_cams_seen_command qrdl export' -l format -xa 'yaml json csv html' -d 'yaml, json, csv or html (default: from the extension of the output file, else yaml)'

complete -c cams -n '__fish_cams_seen_command qrdl plan' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl plan' -l detailed-exitcode -d 'Exit 0 when in sync, 2 when changes are pending, 1 on error'
complete -c cams -n '__fish_cams_seen_command qrdl plan' -l out -r -d 'Save the plan to this file, for cams qrdl apply PLANFILE'

complete -c cams -n '__fish_cams_seen_command qrdl apply' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command qrdl apply' -s y -l yes -d 'Confirm without asking'
complete -c cams -n '__fish_cams_seen_command qrdl apply' -l resume -d 'Continue an interrupted apply from its journal (FILE.state.json.journal)'

complete -c cams -n '__fish_cams_seen_command call' -s h -l help -d 'Show this help message and exit'
complete -c cams -n '__fish_cams_seen_command call' -l api-version -r -d 'API version (default 2020-06-06)'

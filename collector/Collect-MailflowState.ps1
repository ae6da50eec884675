<#
.SYNOPSIS
    Collects one tenant's Exchange hybrid mail-flow state for mailflow-guard, and uploads it or writes it to a file.

.DESCRIPTION
    Reads, with Get- cmdlets only, what the mail-flow checks compare, and writes it as one on-prem state document:

        {"tenant", "instance", "collectedAt",
         "onPremises":     {"receiveConnectors", "sendConnectors", "exchangeCertificates",
                            "acceptedDomains", "remoteDomains", "hybridConfiguration"},
         "exchangeOnline": {"inboundConnectors", "outboundConnectors", "acceptedDomains", "remoteDomains"},
         "allowlists":     [...]}

    On premises it reads Get-ReceiveConnector and Get-ExchangeCertificate on every server (Edge Transport servers
    are not in Active Directory and are skipped), Get-SendConnector, Get-AcceptedDomain, Get-RemoteDomain and
    Get-HybridConfiguration. With -ConnectExchangeOnline it also reads Get-InboundConnector, Get-OutboundConnector,
    Get-AcceptedDomain and Get-RemoteDomain in Exchange Online. Each list holds the objects as ConvertTo-Json -Depth 6
    writes them, so the service sees Exchange's own property names. A certificate carries Identity, Server, Subject,
    Issuer, Thumbprint, NotBefore, NotAfter, Services, Status, CertificateDomains and RawData (its DER, base64): the
    public certificate only, never its key.

    The script changes nothing in Exchange. It runs in the Exchange Management Shell or, as a scheduled task, in a
    plain Windows PowerShell 5.1 on an Exchange server (or a machine with the Exchange management tools), where it
    loads the shell itself the way the Exchange Management Shell shortcut does. It never prompts. It exits 0 when
    the document was uploaded or written, and 1 otherwise, with one line on stderr (and in -LogPath) saying why.

    The account needs read access to the Exchange configuration (for example the View-Only Organization Management
    role group). For Exchange Online it signs in as an app with a certificate: the app needs the Exchange.ManageAsApp
    permission and a directory role that may read connectors, such as Global Reader.

.PARAMETER Tenant
    Required. The tenant the document is for: its *.onmicrosoft.com domain (contoso.onmicrosoft.com) or tenant id.

.PARAMETER Instance
    The Microsoft 365 cloud: Worldwide (default), USGovDoD, USGovGCCHigh or China. It also selects the Exchange
    Online environment that -ConnectExchangeOnline signs in to.

.PARAMETER IngestUrl
    The mailflow-guard endpoint that takes the document, for example https://app.azurewebsites.net/api/inventory.
    Give it with -FunctionKey or -FunctionKeyPath, or give -OutFile instead. It must be https (http only for
    localhost) and must not carry the key in its query string.

.PARAMETER FunctionKey
    The function key for -IngestUrl, sent as the x-functions-key header and never printed or logged. A key on the
    command line is visible in the scheduled task's definition; prefer -FunctionKeyPath.

.PARAMETER FunctionKeyPath
    A file holding the function key: either the key as plain text or, better, the output of
    ConvertFrom-SecureString made by the account the task runs as (Windows DPAPI: only that account on that
    machine can read it back).

.PARAMETER OutFile
    Writes the document to this file (UTF-8 without byte order mark) instead of uploading it. The file is replaced
    only when the whole document is ready.

.PARAMETER AllowlistPath
    A JSON file with the firewall allowlists to include: a list of {"name", "mode", "entries"} objects, or a
    document with an "allowlists" list (such as an existing mailflow-guard inventory).

.PARAMETER EgressAddress
    The public addresses the organization's mail leaves from, as the Internet sees them (behind NAT the send
    connectors cannot tell). The daily check looks them up in the DNS blocklists the app is set up with.

.PARAMETER ProbePath
    Files written by `mailflow-guard probe HOST --json` (one result, or a list with --smart-host), run from a
    machine that can reach the smart hosts on port 25 from outside. They are uploaded with the document and count
    like the app's own probes.

.PARAMETER Server
    The Exchange servers whose receive connectors and certificates are read. Default: every server that is not an
    Edge Transport server. Name them when some servers cannot be read from here (for example old Exchange 2010
    servers in the same organization).

.PARAMETER ConnectExchangeOnline
    Also reads the Exchange Online side. Needs the ExchangeOnlineManagement module (3.0 or later), -AppId and
    -CertificateThumbprint; -Organization defaults to -Tenant.

.PARAMETER AppId
    The application (client) id of the app that signs in to Exchange Online.

.PARAMETER CertificateThumbprint
    The thumbprint of the app's certificate in the task account's certificate store (Cert:\CurrentUser\My), used to
    sign in to Exchange Online.

.PARAMETER Organization
    The tenant's primary *.onmicrosoft.com domain, as Connect-ExchangeOnline wants it for certificate sign-in.
    Default: -Tenant, when that is a domain.

.PARAMETER LogPath
    Appends one line per step, with a UTC time, to this file: what was read, how much, and the outcome or the
    error. Secrets are never written to it.

.EXAMPLE
    .\Collect-MailflowState.ps1 -Tenant contoso.onmicrosoft.com -OutFile C:\mailflow-guard\contoso-state.json

    In the Exchange Management Shell: reads the on-premises side and writes the document to a file, for
    `mailflow-guard check --inventory` or to look at before uploading anything.

.EXAMPLE
    Read-Host -AsSecureString 'Function key' | ConvertFrom-SecureString | Set-Content C:\mailflow-guard\function-key.txt

    Program:   C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe
    Arguments: -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "C:\mailflow-guard\Collect-MailflowState.ps1"
               -Tenant contoso.onmicrosoft.com -IngestUrl https://app.azurewebsites.net/api/inventory
               -FunctionKeyPath C:\mailflow-guard\function-key.txt -LogPath C:\mailflow-guard\collector.log
               -ConnectExchangeOnline -AppId 00000000-0000-0000-0000-000000000000
               -CertificateThumbprint 0000000000000000000000000000000000000000

    A daily scheduled task on an Exchange server. Run the first line once as the task's account (for example in
    `runas /user:CONTOSO\svc-mailflow powershell`), so that only that account can read the key back; then create
    the task with the program and arguments above (one line), "Run whether user is logged on or not". The task's
    last result is the exit code: 0 uploaded, 1 failed (the reason is the last line of the log).

.NOTES
    Exit codes: 0 the document was uploaded or written; 1 it was not (bad parameters, Exchange not reachable,
    a server that could not be read, the upload refused). Nothing is half-written: a failed run leaves an existing
    -OutFile as it was and uploads nothing.
#>
[CmdletBinding()]
param(
    # No parameter is Mandatory: a scheduled task would hang on PowerShell's prompt for a missing one.
    [string] $Tenant,
    [string] $Instance = 'Worldwide',
    [string] $IngestUrl,
    [string] $FunctionKey,
    [string] $FunctionKeyPath,
    [string] $OutFile,
    [string] $AllowlistPath,
    [string[]] $EgressAddress,
    [string[]] $ProbePath,
    [string[]] $Server,
    [switch] $ConnectExchangeOnline,
    [string] $AppId,
    [string] $CertificateThumbprint,
    [string] $Organization,
    [string] $LogPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# The progress bar slows Invoke-RestMethod in Windows PowerShell and means nothing in a scheduled task.
$ProgressPreference = 'SilentlyContinue'

# Connect-ExchangeOnline's -ExchangeEnvironmentName for each feed instance.
$OnlineEnvironments = @{
    Worldwide    = 'O365Default'
    USGovGCCHigh = 'O365USGovGCCHigh'
    USGovDoD     = 'O365USGovDoD'
    China        = 'O365China'
}

function Write-Log {
    param([string] $Message)
    Write-Verbose -Message $Message
    if ($LogPath) {
        $line = '{0} {1}: {2}' -f (Get-Date).ToUniversalTime().ToString('o'), $Tenant, $Message
        Add-Content -LiteralPath $LogPath -Value $line -Encoding UTF8
    }
}

function Stop-Collection {
    # One line that names the problem; the catch at the end reports it and exits 1.
    param([string] $Message)
    throw [System.ArgumentException]::new($Message)
}

function Resolve-FullPath {
    # .NET file methods resolve relative paths against the process directory, not PowerShell's location.
    param([string] $Path)
    $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

function Test-Parameter {
    if (-not $Tenant) { Stop-Collection '-Tenant is required (for example -Tenant contoso.onmicrosoft.com)' }
    $domain = '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$'
    $guid = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
    if ($Tenant -notmatch $domain -and $Tenant -notmatch $guid) {
        Stop-Collection "-Tenant '$Tenant' is neither a domain such as contoso.onmicrosoft.com nor a tenant id"
    }
    if (-not $OnlineEnvironments.ContainsKey($Instance)) {
        Stop-Collection "-Instance '$Instance' is not one of Worldwide, USGovDoD, USGovGCCHigh, China"
    }
    if ([bool] $IngestUrl -eq [bool] $OutFile) { Stop-Collection 'give either -IngestUrl (with -FunctionKey or -FunctionKeyPath) or -OutFile' }
    if ($IngestUrl) {
        if ([bool] $FunctionKey -eq [bool] $FunctionKeyPath) { Stop-Collection '-IngestUrl needs one of -FunctionKey or -FunctionKeyPath' }
        $uri = $null
        if (-not [Uri]::TryCreate($IngestUrl, [UriKind]::Absolute, [ref] $uri)) { Stop-Collection "-IngestUrl '$IngestUrl' is not an absolute URL" }
        if ($uri.Scheme -ne 'https' -and -not ($uri.Scheme -eq 'http' -and $uri.IsLoopback)) {
            Stop-Collection '-IngestUrl must be https (http only for localhost): the document goes over the internet'
        }
        # A key in the URL would end up in error messages and proxy logs; the header keeps it out of both.
        if ($uri.Query -match '(?i)[?&]code=') { Stop-Collection '-IngestUrl carries a key (?code=); give the key with -FunctionKeyPath instead' }
    } elseif ($FunctionKey -or $FunctionKeyPath) {
        Stop-Collection '-FunctionKey and -FunctionKeyPath go with -IngestUrl'
    }
    if ($ConnectExchangeOnline) {
        if (-not $AppId -or -not $CertificateThumbprint) { Stop-Collection '-ConnectExchangeOnline needs -AppId and -CertificateThumbprint' }
        if (-not $Organization -and $Tenant -match $guid) {
            Stop-Collection "-ConnectExchangeOnline needs -Organization (the tenant's *.onmicrosoft.com domain) when -Tenant is an id"
        }
    } elseif ($AppId -or $CertificateThumbprint -or $Organization) {
        Stop-Collection '-AppId, -CertificateThumbprint and -Organization go with -ConnectExchangeOnline'
    }
}

function Read-FunctionKey {
    if ($FunctionKey) { return $FunctionKey.Trim() }
    $path = Resolve-FullPath $FunctionKeyPath
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Stop-Collection "-FunctionKeyPath '$FunctionKeyPath' is not a file" }
    $text = [System.IO.File]::ReadAllText($path).Trim()
    # ConvertFrom-SecureString without -Key writes a DPAPI blob, which always starts with these bytes (as hex).
    if ($text -match '^01000000d08c9ddf0115d1118c7a00c04fc297eb[0-9a-f]+$') {
        $secure = ConvertTo-SecureString -String $text
        $text = (New-Object -TypeName System.Net.NetworkCredential -ArgumentList '', $secure).Password
    }
    if (-not $text -or $text -match '\s') { Stop-Collection "-FunctionKeyPath '$FunctionKeyPath' holds no key (expected one line without spaces)" }
    $text
}

function Read-Allowlist {
    $path = Resolve-FullPath $AllowlistPath
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Stop-Collection "-AllowlistPath '$AllowlistPath' is not a file" }
    # ReadAllText honours a byte order mark (Windows PowerShell's Out-File writes UTF-16) and reads UTF-8 otherwise.
    try {
        $parsed = [System.IO.File]::ReadAllText($path) | ConvertFrom-Json
    } catch {
        Stop-Collection "-AllowlistPath '$AllowlistPath' is not JSON: $($_.Exception.Message)"
    }
    if ($null -ne $parsed -and $parsed.PSObject.Properties['allowlists']) { $parsed = $parsed.allowlists }
    $lists = @($parsed | Where-Object { $null -ne $_ })
    if ($lists.Count -eq 0) { Stop-Collection "-AllowlistPath '$AllowlistPath' lists no allowlists" }
    for ($i = 0; $i -lt $lists.Count; $i++) {
        $list = $lists[$i]
        if (-not $list.PSObject.Properties['name'] -or -not $list.PSObject.Properties['entries']) {
            Stop-Collection "-AllowlistPath '$AllowlistPath': allowlists[$i] needs ""name"" and ""entries"""
        }
    }
    $lists
}

function Read-EgressAddress {
    foreach ($entry in $EgressAddress) {
        $address = $null
        if (-not [System.Net.IPAddress]::TryParse($entry, [ref] $address)) {
            Stop-Collection "-EgressAddress '$entry' is not an IP address (expected such as 203.0.113.25 or 2001:db8::25)"
        }
        $address.ToString()
    }
}

function Read-Probe {
    foreach ($file in $ProbePath) {
        $path = Resolve-FullPath $file
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Stop-Collection "-ProbePath '$file' is not a file" }
        try {
            $parsed = [System.IO.File]::ReadAllText($path) | ConvertFrom-Json
        } catch {
            Stop-Collection "-ProbePath '$file' is not JSON: $($_.Exception.Message)"
        }
        foreach ($result in @($parsed)) {
            if ($null -eq $result -or -not $result.PSObject.Properties['host'] -or -not $result.PSObject.Properties['ehlo']) {
                Stop-Collection "-ProbePath '$file' is not what mailflow-guard probe --json writes (expected results with ""host"" and ""ehlo"")"
            }
            $result
        }
    }
}

# Exchange 2016 and later add SerializationData (the object's binary form) to what a remote session returns:
# ConvertTo-Json would write it as thousands of numbers. The remoting properties only say where an object came from.
$NotExchangeProperties = @('SerializationData', 'PSComputerName', 'PSShowComputerName', 'RunspaceId')

function Select-ExchangeObject {
    process {
        $_ | Select-Object -Property * -ExcludeProperty $NotExchangeProperties
    }
}

function Get-ServerName {
    if ($Server) { return $Server }
    # Edge Transport servers keep their connectors and certificates out of Active Directory.
    @(Get-ExchangeServer | Where-Object { [string] $_.ServerRole -notmatch 'Edge' } | ForEach-Object { [string] $_.Name })
}

function Get-ServerCertificate {
    param([string[]] $ServerName)
    # Services and Status are enums, which may arrive as numbers: their names are what Exchange shows ("IMAP, POP, IIS, SMTP").
    # ConvertTo-Json would write RawData, a byte[], as a list of numbers: base64 is the DER as the service reads it.
    $properties = @(
        'Identity', @{ Name = 'Server'; Expression = { $name } }, 'Subject', 'Issuer', 'Thumbprint', 'NotBefore', 'NotAfter',
        @{ Name = 'Services'; Expression = { [string] $_.Services } },
        @{ Name = 'Status'; Expression = { [string] $_.Status } },
        'CertificateDomains',
        @{ Name = 'RawData'; Expression = { [Convert]::ToBase64String([byte[]] $_.RawData) } }
    )
    foreach ($name in $ServerName) {
        try {
            # A pending request is not a certificate yet: it has no issuer and nothing to check.
            Get-ExchangeCertificate -Server $name | Where-Object { [string] $_.Status -ne 'PendingRequest' } | Select-Object -Property $properties
        } catch {
            # A server left out would look like a server without its certificate: fail rather than mislead.
            Stop-Collection "could not read the certificates of $name (name the readable servers with -Server): $($_.Exception.Message)"
        }
    }
}

function Get-OnPremisesState {
    $names = @(Get-ServerName)
    if ($names.Count -eq 0) { Stop-Collection 'found no Exchange server to read (Get-ExchangeServer returned none that is not Edge)' }
    Write-Log ('reading on-premises Exchange: servers {0}' -f ($names -join ', '))
    $receive = @(foreach ($name in $names) {
            try {
                Get-ReceiveConnector -Server $name | Select-ExchangeObject
            } catch {
                Stop-Collection "could not read the receive connectors of $name (name the readable servers with -Server): $($_.Exception.Message)"
            }
        })
    $state = [ordered]@{
        receiveConnectors    = $receive
        sendConnectors       = @(Get-SendConnector | Select-ExchangeObject)
        exchangeCertificates = @(Get-ServerCertificate -ServerName $names)
        acceptedDomains      = @(Get-AcceptedDomain | Select-ExchangeObject)
        remoteDomains        = @(Get-RemoteDomain | Select-ExchangeObject)
    }
    # An organization that never ran the Hybrid Configuration Wizard has none; the part is then left out.
    $hybrid = @(Get-HybridConfiguration | Select-ExchangeObject)
    if ($hybrid.Count -gt 0) { $state.hybridConfiguration = $hybrid[0] }
    Write-Log ('on-premises: {0} receive connectors, {1} send connectors, {2} certificates, {3} accepted domains, {4} remote domains, hybrid {5}' -f
        $state.receiveConnectors.Count, $state.sendConnectors.Count, $state.exchangeCertificates.Count, $state.acceptedDomains.Count,
        $state.remoteDomains.Count, $(if ($hybrid.Count -gt 0) { 'configuration present' } else { 'configuration absent' }))
    $state
}

function Get-ExchangeOnlineState {
    Import-Module -Name ExchangeOnlineManagement -MinimumVersion 3.0.0
    $org = if ($Organization) { $Organization } else { $Tenant }
    Write-Log "connecting to Exchange Online ($org, $($OnlineEnvironments[$Instance])) as app $AppId"
    # -Prefix keeps Exchange Online's cmdlets apart from the on-premises ones of the same name in this session:
    # Get-InboundConnector becomes Get-CloudInboundConnector (learn.microsoft.com, Connect-ExchangeOnline, -Prefix).
    # The prefix EXO is reserved for the module's own nine Get-EXO* cmdlets (Get-EXOMailbox, Get-EXORecipient, ...),
    # so it cannot be used; no on-premises or module cmdlet is named Get-Cloud*.
    Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $CertificateThumbprint -Organization $org `
        -ExchangeEnvironmentName $OnlineEnvironments[$Instance] -Prefix Cloud -ShowBanner:$false -ShowProgress $false
    try {
        $state = [ordered]@{
            inboundConnectors  = @(Get-CloudInboundConnector -ResultSize Unlimited | Select-ExchangeObject)
            outboundConnectors = @(Get-CloudOutboundConnector -ResultSize Unlimited | Select-ExchangeObject)
            acceptedDomains    = @(Get-CloudAcceptedDomain -ResultSize Unlimited | Select-ExchangeObject)
            remoteDomains      = @(Get-CloudRemoteDomain -ResultSize Unlimited | Select-ExchangeObject)
        }
    } finally {
        Disconnect-ExchangeOnline -Confirm:$false
    }
    Write-Log ('Exchange Online: {0} inbound connectors, {1} outbound connectors, {2} accepted domains, {3} remote domains' -f
        $state.inboundConnectors.Count, $state.outboundConnectors.Count, $state.acceptedDomains.Count, $state.remoteDomains.Count)
    $state
}

function Write-Document {
    param([string] $Json)
    $path = Resolve-FullPath $OutFile
    $temporary = "$path.partial"
    # Out-File and Set-Content -Encoding UTF8 write a byte order mark in Windows PowerShell; this encoding does not.
    [System.IO.File]::WriteAllText($temporary, $Json, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))
    if (Test-Path -LiteralPath $path) {
        [System.IO.File]::Replace($temporary, $path, $null)
    } else {
        [System.IO.File]::Move($temporary, $path)
    }
    Write-Log "wrote $($Json.Length) characters to $path"
}

function Send-Document {
    param([string] $Json, [string] $Key)
    # Windows PowerShell 5.1 may offer only TLS 1.0 and 1.1, which Azure refuses.
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    # Windows PowerShell 5.1 sends a string body as ISO-8859-1 whatever the charset says; bytes go as they are.
    $body = [System.Text.Encoding]::UTF8.GetBytes($Json)
    $target = ([Uri] $IngestUrl).GetLeftPart([UriPartial]::Path)
    try {
        $null = Invoke-RestMethod -Method Post -Uri $IngestUrl -Headers @{ 'x-functions-key' = $Key } `
            -ContentType 'application/json; charset=utf-8' -Body $body -TimeoutSec 120
    } catch {
        # The service answers a refused document with one line that names the entry; keep it, drop the rest.
        $detail = if ($_.ErrorDetails -and $_.ErrorDetails.Message) { $_.ErrorDetails.Message } else { $_.Exception.Message }
        Stop-Collection ("the upload to $target failed: " + ($detail -replace '\s+', ' ').Trim())
    }
    Write-Log "uploaded $($body.Length) bytes to $target"
}

try {
    Test-Parameter
    if (-not (Get-Command -Name Get-ExchangeServer -ErrorAction SilentlyContinue)) {
        if (-not $env:ExchangeInstallPath) {
            Stop-Collection 'the Exchange cmdlets are not available: run this on an Exchange server or in the Exchange Management Shell'
        }
        Write-Log 'loading the Exchange Management Shell'
        # What the Exchange Management Shell shortcut runs; Microsoft's script is written for neither strict mode nor Stop.
        Set-StrictMode -Off
        $ErrorActionPreference = 'Continue'
        try {
            . (Join-Path -Path $env:ExchangeInstallPath -ChildPath 'bin\RemoteExchange.ps1')
            Connect-ExchangeServer -auto -ClientApplication:ManagementShell
        } finally {
            Set-StrictMode -Version Latest
            $ErrorActionPreference = 'Stop'
        }
        if (-not (Get-Command -Name Get-ExchangeServer -ErrorAction SilentlyContinue)) {
            Stop-Collection 'could not connect to Exchange: Connect-ExchangeServer -auto found no server to use'
        }
    }

    $key = if ($IngestUrl) { Read-FunctionKey } else { $null }
    $allowlists = if ($AllowlistPath) { @(Read-Allowlist) } else { @() }
    $egress = @(Read-EgressAddress)
    $probes = @(Read-Probe)

    $document = [ordered]@{
        tenant      = $Tenant.ToLowerInvariant()
        instance    = $Instance
        collectedAt = (Get-Date).ToUniversalTime().ToString('o')
        onPremises  = Get-OnPremisesState
    }
    if ($ConnectExchangeOnline) { $document.exchangeOnline = Get-ExchangeOnlineState }
    if ($allowlists.Count -gt 0) { $document.allowlists = $allowlists }
    if ($egress.Count -gt 0) { $document.egressAddresses = $egress }
    if ($probes.Count -gt 0) { $document.probes = $probes }

    # Depth 6 reaches the items of the connectors' lists (an IPRange object under RemoteIPRanges is level 5).
    $json = ConvertTo-Json -InputObject $document -Depth 6
    # Only public certificates are selected above; this is the last check before anything leaves the machine.
    if ($json -match 'PRIVATE KEY') { Stop-Collection 'the document contains a private key; nothing was written or uploaded' }

    if ($OutFile) { Write-Document -Json $json } else { Send-Document -Json $json -Key $key }
    Write-Output "Collect-MailflowState: $Tenant collected at $($document.collectedAt)"
    exit 0
} catch {
    $message = ($_.Exception.Message -replace '\s+', ' ').Trim()
    # One line on stderr for the task's history; Write-Error would add the script position over several lines.
    [Console]::Error.WriteLine("Collect-MailflowState: $Tenant`: $message")
    try {
        Write-Log "failed: $message"
    } catch {
        [Console]::Error.WriteLine("Collect-MailflowState: could not write -LogPath: $($_.Exception.Message)")
    }
    exit 1
}

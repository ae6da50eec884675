<#
.SYNOPSIS
    Collects one tenant's Exchange hybrid mail-flow state for mailflow-guard, and uploads it or writes it to a file.

.DESCRIPTION
    Reads, with Get- cmdlets only, what the mail-flow checks compare, and writes it as one on-prem state document:

        {"tenant", "instance", "collectedAt",
         "onPremises":     {"receiveConnectors", "sendConnectors", "exchangeCertificates",
                            "acceptedDomains", "remoteDomains", "hybridConfiguration"},
         "exchangeOnline": {"inboundConnectors", "outboundConnectors", "acceptedDomains", "remoteDomains"},
         "allowlists":     [...],
         "notCollected":   [{"part", "server", "reason"}]}

    On premises it reads Get-ReceiveConnector and Get-ExchangeCertificate on every server, Get-SendConnector,
    Get-AcceptedDomain, Get-RemoteDomain and Get-HybridConfiguration. Edge Transport servers keep their receive
    connectors and certificates in their own AD LDS, out of Active Directory: name them with -EdgeServer (read over
    PowerShell remoting) or run the script on each Edge with -EdgeOutFile and give its file with -EdgeStatePath. The
    send connectors EdgeSync makes are read with the organization's. With -ConnectExchangeOnline it also reads
    Get-InboundConnector, Get-OutboundConnector, Get-AcceptedDomain and Get-RemoteDomain in Exchange Online.

    Whatever could not be read (a server that did not answer, a cmdlet that failed, an Edge Transport server
    that was not read) is listed in notCollected with the reason, and the rest is still sent: a part missing from
    the document was not collected; an empty list was read and is empty.

    Each list holds the cmdlets' objects with Exchange's own property names. A certificate carries Server and what
    the cmdlet returned of Identity, Subject, Issuer, Thumbprint, NotBefore, NotAfter, Services, Status,
    CertificateDomains and RawData (its DER): the public certificate only, never its key. From a remote session a
    certificate may carry little more than RawData; the service reads the rest from it.

    Versions: Exchange 2013, 2016, 2019 and Subscription Edition in Windows PowerShell 5.1, and Exchange 2010 in
    its Exchange Management Shell on PowerShell 2.0. The document is JSON (ConvertTo-Json -Depth 6) on PowerShell
    3.0 and later, and CLIXML (Export-Clixml -Depth 6, which the service reads as well) on PowerShell 2.0, which
    has no ConvertTo-Json; -Format chooses. On PowerShell 2.0 the upload needs TLS 1.2 in .NET 3.5 (the update of
    KB3154518, KB3154519 or KB3154520), and -ConnectExchangeOnline needs Windows PowerShell 5.1: leave it out and
    let the service read Exchange Online itself.

    The script changes nothing in Exchange. It runs in the Exchange Management Shell or, as a scheduled task, in a
    plain Windows PowerShell on an Exchange server (or a machine with the Exchange management tools), where it
    loads the shell itself the way the Exchange Management Shell shortcut does. It never prompts. It exits 0 when
    the document was uploaded or written, and 1 otherwise, with one line on stderr (and in -LogPath) saying why.

    The account needs read access to the Exchange configuration (for example the View-Only Organization Management
    role group), and for -EdgeServer local administrator rights on each Edge. For Exchange Online it signs in as an
    app with a certificate: the app needs the Exchange.ManageAsApp permission and a directory role that may read
    connectors, such as Global Reader.

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

.PARAMETER Format
    Json or CliXml: how the document is written and uploaded. Default: Json on PowerShell 3.0 and later, CliXml on
    PowerShell 2.0 (the Exchange 2010 shell), which cannot write JSON. CliXml keeps the objects as Exchange returned
    them (enums as numbers, addresses as objects) and is uploaded as application/xml.

.PARAMETER AllowlistPath
    A JSON file with the firewall allowlists to include: a list of {"name", "mode", "entries"} objects, or a
    document with an "allowlists" list (such as an existing mailflow-guard inventory). PowerShell 2.0 reads it
    with .NET's JavaScriptSerializer, which ConvertFrom-Json is built on.

.PARAMETER EgressAddress
    The public addresses the organization's mail leaves from, as the Internet sees them (behind NAT the send
    connectors cannot tell). The daily check looks them up in the DNS blocklists the app is set up with.

.PARAMETER ProbePath
    Files written by `mailflow-guard probe HOST --json` (one result, or a list with --smart-host), run from a
    machine that can reach the smart hosts on port 25 from outside. They are uploaded with the document and count
    like the app's own probes.

.PARAMETER Server
    The Exchange servers whose receive connectors and certificates are read. Default: every server that is not an
    Edge Transport server. Name them when some servers cannot be read from here; the ones not named are not listed
    as not collected. Names may be separated by commas, as a scheduled task passes them.

.PARAMETER EdgeServer
    Edge Transport servers to read over PowerShell remoting (Invoke-Command, WinRM): their receive connectors and
    certificates, with each certificate's Server. Each Edge needs remoting enabled (Enable-PSRemoting) and the
    account must be a local administrator there; an Edge outside the domain needs -EdgeCredential or
    -EdgeCredentialPath, and either -EdgeUseSsl or its name in this machine's WinRM TrustedHosts. An Edge that
    cannot be read is listed in notCollected with the reason. Edges that the organization knows (subscribed with
    EdgeSync) but that are read neither here nor by -EdgeStatePath are listed there as well. Names may be
    separated by commas.

.PARAMETER EdgeCredential
    The account for -EdgeServer, a local administrator of the Edge, for a run by hand. A scheduled task cannot pass
    one: use -EdgeCredentialPath.

.PARAMETER EdgeCredentialPath
    A file holding the account for -EdgeServer, as `Get-Credential | Export-Clixml FILE` writes it when run as the
    task's account (Windows DPAPI: only that account on that machine can read it back).

.PARAMETER EdgeUseSsl
    Connects to the -EdgeServer servers over WinRM's HTTPS listener (port 5986), which an Edge outside the domain
    needs unless it is in this machine's TrustedHosts.

.PARAMETER EdgeStatePath
    Files written by this script with -EdgeOutFile on Edge Transport servers, brought here however files cross
    the perimeter (a share, a copy). Their receive connectors and certificates are added to the document. A file
    older than two days is not used: its Edge is listed in notCollected instead. Paths may be separated by commas.

.PARAMETER EdgeOutFile
    Runs on an Edge Transport server: reads its receive connectors and certificates locally (loading Exchange's
    snap-in, Microsoft.Exchange.Management.PowerShell.SnapIn on Exchange 2013 and later,
    Microsoft.Exchange.Management.PowerShell.E2010 on Exchange 2010) and writes them to this file as CLIXML, for
    -EdgeStatePath on the management server. Takes no other parameter but -LogPath.

.PARAMETER ConnectExchangeOnline
    Also reads the Exchange Online side. Needs Windows PowerShell 5.1, the ExchangeOnlineManagement module (3.0 or
    later), -AppId and -CertificateThumbprint; -Organization defaults to -Tenant.

.PARAMETER AppId
    The application (client) id of the app that signs in to Exchange Online.

.PARAMETER CertificateThumbprint
    The thumbprint of the app's certificate in the task account's certificate store (Cert:\CurrentUser\My), used to
    sign in to Exchange Online.

.PARAMETER Organization
    The tenant's primary *.onmicrosoft.com domain, as Connect-ExchangeOnline wants it for certificate sign-in.
    Default: -Tenant, when that is a domain.

.PARAMETER LogPath
    Appends one line per step, with a UTC time, to this file: what was read, how much, what could not be read and
    why, and the outcome or the error. Secrets are never written to it.

.EXAMPLE
    .\Collect-MailflowState.ps1 -Tenant contoso.onmicrosoft.com -OutFile C:\mailflow-guard\contoso-state.json

    In the Exchange Management Shell: reads the on-premises side and writes the document to a file, for
    `mailflow-guard check --inventory` or to look at before uploading anything. In the Exchange 2010 shell the file
    is CLIXML (name it .xml); the service and the command line read both.

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

.EXAMPLE
    .\Collect-MailflowState.ps1 -EdgeOutFile \\EX01\mailflow-guard$\EDGE01.xml

    Program:   C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe
    Arguments: -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "C:\mailflow-guard\Collect-MailflowState.ps1"
               -Tenant contoso.onmicrosoft.com -IngestUrl https://app.azurewebsites.net/api/inventory
               -FunctionKeyPath C:\mailflow-guard\function-key.txt -LogPath C:\mailflow-guard\collector.log
               -EdgeStatePath \\EX01\mailflow-guard$\EDGE01.xml,\\EX01\mailflow-guard$\EDGE02.xml

    An Edge-based hybrid where remoting to the perimeter network is closed: the first line runs daily on each Edge
    Transport server, as a local administrator, before the management server's task, and writes to a share the
    management server reads (or anywhere a copy can fetch it from); the management server's task adds the Edges'
    files. Where WinRM reaches the Edges, -EdgeServer EDGE01,EDGE02 -EdgeCredentialPath FILE reads
    them directly instead.

.NOTES
    Exit codes: 0 the document (or -EdgeOutFile's file) was uploaded or written, possibly with parts listed in
    notCollected; 1 it was not (bad parameters, Exchange not reachable, the upload refused). Nothing is
    half-written: a failed run leaves an existing -OutFile as it was and uploads nothing.
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
    [string] $Format,
    [string] $AllowlistPath,
    [string[]] $EgressAddress,
    [string[]] $ProbePath,
    [string[]] $Server,
    [string[]] $EdgeServer,
    [System.Management.Automation.PSCredential] $EdgeCredential,
    [string] $EdgeCredentialPath,
    [switch] $EdgeUseSsl,
    [string[]] $EdgeStatePath,
    [string] $EdgeOutFile,
    [switch] $ConnectExchangeOnline,
    [string] $AppId,
    [string] $CertificateThumbprint,
    [string] $Organization,
    [string] $LogPath
)

# This script also runs in the Exchange 2010 shell, on PowerShell 2.0: no [ordered], [pscustomobject], ::new(),
# ConvertTo-Json or Invoke-RestMethod outside the branches that check the version (the tests walk it for them).
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$PowerShellVersion = $PSVersionTable['PSVersion']

# Connect-ExchangeOnline's -ExchangeEnvironmentName for each feed instance.
$OnlineEnvironments = @{
    Worldwide    = 'O365Default'
    USGovGCCHigh = 'O365USGovGCCHigh'
    USGovDoD     = 'O365USGovDoD'
    China        = 'O365China'
}

# Export-Clixml's default depth is 2. PowerShell's serialiser writes an object that was itself deserialised (what a
# remote session returns) at least one level deep whatever the depth, but an Edge's objects are live, and at 2 a
# connector's TlsDomainCapabilities items and smart hosts would lose the SmtpX509Identifier and IPAddress objects
# inside them to their ToString. Lists and dictionaries do not count as levels, so at 6 a connector (under the
# document, onPremises and its list) keeps five levels of objects below it, as ConvertTo-Json -Depth 6 does.
$CliXmlDepth = 6

# Marks a file written by -EdgeOutFile, so that -EdgeStatePath refuses any other CLIXML.
$EdgePartFormat = 'mailflow-guard edge transport part 1'

# Exchange 2016 and later add SerializationData (the object's binary form) to what a remote session returns:
# ConvertTo-Json would write it as thousands of numbers, and it is three quarters of a connector's CLIXML.
# The remoting properties only say where an object came from.
$NotExchangeProperties = @('SerializationData', 'PSComputerName', 'PSShowComputerName', 'RunspaceId')

# What could not be read, for the document's notCollected.
$NotCollected = New-Object -TypeName System.Collections.ArrayList

function Write-Log {
    param([string] $Message)
    Write-Verbose -Message $Message
    if ($LogPath) {
        $line = '{0} {1}: {2}' -f (Get-Date).ToUniversalTime().ToString('o'), $LogLabel, $Message
        Add-Content -LiteralPath $LogPath -Value $line -Encoding UTF8
    }
}

function Stop-Collection {
    # One line that names the problem; the catch at the end reports it and exits 1.
    param([string] $Message)
    throw (New-Object -TypeName System.ArgumentException -ArgumentList $Message)
}

function Resolve-FullPath {
    # .NET file methods resolve relative paths against the process directory, not PowerShell's location.
    param([string] $Path)
    $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

function Split-List {
    # A scheduled task's -File passes "EX01,EX02" as one value; PowerShell 2.0 runs a foreach once over $null.
    param([string[]] $Value)
    foreach ($item in @($Value | Where-Object { $_ })) {
        foreach ($part in @($item -split ',')) {
            if ($part.Trim()) { $part.Trim() }
        }
    }
}

function Get-OptionalProperty {
    # Set-StrictMode -Version Latest throws on a property an object does not have, and objects from a remote session
    # have only what the session sent (a certificate may carry RawData alone). Every Exchange property is read here.
    param($InputObject, [string] $Name)
    if ($null -eq $InputObject) { return $null }
    if ($InputObject -is [System.Collections.IDictionary]) {
        if ($InputObject.Contains($Name)) { return , $InputObject[$Name] }
        return $null
    }
    $property = $InputObject.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    # The comma keeps a list a list: PowerShell would unroll it, and a one-item list would come back as its item.
    , $property.Value
}

function Test-Member {
    # Whether an object (or a dictionary, as PowerShell 2.0's JSON reader returns) has the property, even if null.
    param($InputObject, [string] $Name)
    if ($null -eq $InputObject) { return $false }
    if ($InputObject -is [System.Collections.IDictionary]) { return $InputObject.Contains($Name) }
    $null -ne $InputObject.PSObject.Properties[$Name]
}

function ConvertTo-OneLine {
    param([string] $Text)
    $line = ($Text -replace '\s+', ' ').Trim()
    if ($line.Length -gt 400) { $line = $line.Substring(0, 397) + '...' }
    $line
}

function New-NotCollected {
    # One entry of notCollected: the part, the server when it is one server's share of it, and why, in one line.
    param([string] $Part, [string] $ServerName, [string] $Reason)
    $entry = New-Object -TypeName System.Collections.Specialized.OrderedDictionary
    $entry['part'] = $Part
    if ($ServerName) { $entry['server'] = $ServerName }
    $entry['reason'] = ConvertTo-OneLine $Reason
    $entry
}

function Add-NotCollected {
    param([string] $Part, [string] $ServerName, [string] $Reason)
    $entry = New-NotCollected -Part $Part -ServerName $ServerName -Reason $Reason
    [void] $NotCollected.Add($entry)
    $where = ''
    if ($ServerName) { $where = " on $ServerName" }
    Write-Log ('not collected: {0}{1}: {2}' -f $Part, $where, $entry['reason'])
}

function ConvertTo-CertificateRecord {
    # The public facts of one certificate, each only if the object has it: PowerShell serialises an X509Certificate2
    # as its RawData alone, so from a remote session Services, Status and the rest may be absent. A new object, never
    # the certificate itself: a live one (on an Edge) would carry its private key's property into the document.
    param($Certificate, [string] $ServerName)
    $status = Get-OptionalProperty $Certificate 'Status'
    # A pending request is not a certificate yet: it has no issuer and nothing to check.
    if ($null -ne $status -and [string] $status -eq 'PendingRequest') { return }
    $record = New-Object -TypeName PSObject
    foreach ($name in @('Identity', 'Server', 'Subject', 'Issuer', 'Thumbprint', 'NotBefore', 'NotAfter', 'Services', 'Status', 'CertificateDomains', 'RawData')) {
        if ($name -eq 'Server') {
            Add-Member -InputObject $record -MemberType NoteProperty -Name Server -Value $ServerName
            continue
        }
        if (-not (Test-Member $Certificate $name)) { continue }
        $value = Get-OptionalProperty $Certificate $name
        if ($null -ne $value) {
            if ($name -eq 'CertificateDomains') {
                $value = @(foreach ($domain in @($value)) { [string] $domain })
            } elseif ($name -eq 'RawData') {
                $value = [byte[]] $value
            } elseif ($name -ne 'NotBefore' -and $name -ne 'NotAfter') {
                # Services and Status are enums, which may arrive as numbers: their names are what Exchange shows.
                $value = [string] $value
            }
        }
        Add-Member -InputObject $record -MemberType NoteProperty -Name $name -Value $value
    }
    $record
}

function ConvertTo-CliXmlText {
    # Export-Clixml writes only to a file; PSSerializer, its in-memory form, came with PowerShell 3.0.
    param($InputObject, [int] $Depth)
    $file = [System.IO.Path]::GetTempFileName()
    try {
        Export-Clixml -Path $file -InputObject $InputObject -Depth $Depth
        # Windows PowerShell writes UTF-16 with a byte order mark, PowerShell 7 UTF-8: ReadAllText follows the mark.
        [System.IO.File]::ReadAllText($file)
    } finally {
        [System.IO.File]::Delete($file)
    }
}

function Import-CliXmlText {
    param([string] $Text)
    $file = [System.IO.Path]::GetTempFileName()
    try {
        [System.IO.File]::WriteAllText($file, $Text, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))
        Import-Clixml -Path $file
    } finally {
        [System.IO.File]::Delete($file)
    }
}

function Read-LocalEdgeTransport {
    # Runs on an Edge Transport server: in the session Invoke-Command opens there (sent as text with the functions it
    # calls, see New-EdgeTransportReader), or in -EdgeOutFile's run. Returns the Edge's part as CLIXML text.
    param([int] $Depth, [string] $PartFormat)
    Set-StrictMode -Version Latest
    $ErrorActionPreference = 'Stop'
    $edge = $env:COMPUTERNAME
    # Where Exchange 2010 (v14) and 2013 and later (v15) mark the role, as Microsoft's CSS-Exchange scripts test it.
    if (-not (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v15\EdgeTransportRole') -and
        -not (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v14\EdgeTransportRole')) {
        throw "$edge is not an Edge Transport server (no EdgeTransportRole key in the registry)"
    }
    if (-not (Get-Command -Name Get-ReceiveConnector -ErrorAction SilentlyContinue)) {
        # An Edge has no Exchange remote PowerShell: its shell (exshell.psc1) loads Exchange's snap-in, named
        # ...PowerShell.SnapIn from Exchange 2013 on and ...PowerShell.E2010 in Exchange 2010.
        $snapIn = $null
        foreach ($name in @('Microsoft.Exchange.Management.PowerShell.SnapIn', 'Microsoft.Exchange.Management.PowerShell.E2010')) {
            if (-not $snapIn -and (Get-PSSnapin -Registered -Name $name -ErrorAction SilentlyContinue)) { $snapIn = $name }
        }
        if (-not $snapIn) { throw "$edge has no Exchange management snap-in registered" }
        Add-PSSnapin -Name $snapIn
    }
    $part = New-Object -TypeName System.Collections.Specialized.OrderedDictionary
    $part['format'] = $PartFormat
    $part['server'] = $edge
    $part['collectedAt'] = (Get-Date).ToUniversalTime().ToString('o')
    $missing = New-Object -TypeName System.Collections.ArrayList
    try {
        $part['receiveConnectors'] = @(Get-ReceiveConnector)
    } catch {
        [void] $missing.Add((New-NotCollected -Part 'onPremises.receiveConnectors' -ServerName $edge -Reason $_.Exception.Message))
    }
    try {
        $part['exchangeCertificates'] = @(Get-ExchangeCertificate | ForEach-Object { ConvertTo-CertificateRecord -Certificate $_ -ServerName $edge })
    } catch {
        [void] $missing.Add((New-NotCollected -Part 'onPremises.exchangeCertificates' -ServerName $edge -Reason $_.Exception.Message))
    }
    $part['notCollected'] = $missing.ToArray()
    ConvertTo-CliXmlText -InputObject $part -Depth $Depth
}

# The functions Read-LocalEdgeTransport calls, sent with it to the Edge, where this script is not.
$EdgeFunctions = @('Get-OptionalProperty', 'Test-Member', 'ConvertTo-OneLine', 'New-NotCollected', 'ConvertTo-CertificateRecord', 'ConvertTo-CliXmlText', 'Read-LocalEdgeTransport')

function New-EdgeTransportReader {
    $definitions = @(foreach ($name in @($EdgeFunctions)) {
            "function $name {`n" + (Get-Command -Name $name -CommandType Function).ScriptBlock.ToString() + "`n}"
        })
    [ScriptBlock]::Create("param([int] `$Depth, [string] `$PartFormat)`n" + ($definitions -join "`n") + "`nRead-LocalEdgeTransport -Depth `$Depth -PartFormat `$PartFormat")
}

function Test-Parameter {
    if ($EdgeOutFile) {
        if ($Tenant -or $IngestUrl -or $FunctionKey -or $FunctionKeyPath -or $OutFile -or $Format -or $AllowlistPath -or $EgressAddress -or
            $ProbePath -or $Server -or $EdgeServer -or $EdgeCredential -or $EdgeCredentialPath -or $EdgeUseSsl -or $EdgeStatePath -or
            $ConnectExchangeOnline -or $AppId -or $CertificateThumbprint -or $Organization) {
            Stop-Collection '-EdgeOutFile runs on an Edge Transport server and takes no other parameter but -LogPath'
        }
        return
    }
    if (-not $Tenant) { Stop-Collection '-Tenant is required (for example -Tenant contoso.onmicrosoft.com)' }
    $domain = '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$'
    $guid = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
    if ($Tenant -notmatch $domain -and $Tenant -notmatch $guid) {
        Stop-Collection "-Tenant '$Tenant' is neither a domain such as contoso.onmicrosoft.com nor a tenant id"
    }
    if (-not $OnlineEnvironments.ContainsKey($Instance)) {
        Stop-Collection "-Instance '$Instance' is not one of Worldwide, USGovDoD, USGovGCCHigh, China"
    }
    if ($Format -ne 'Json' -and $Format -ne 'CliXml') { Stop-Collection "-Format '$Format' is not one of Json, CliXml" }
    if ($Format -eq 'Json' -and $PowerShellVersion.Major -lt 3) {
        Stop-Collection "-Format Json needs PowerShell 3.0 or later (ConvertTo-Json); this is PowerShell $PowerShellVersion: use -Format CliXml"
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
    if ($EdgeServer) {
        if ($EdgeCredential -and $EdgeCredentialPath) { Stop-Collection 'give one of -EdgeCredential and -EdgeCredentialPath' }
    } elseif ($EdgeCredential -or $EdgeCredentialPath -or $EdgeUseSsl) {
        Stop-Collection '-EdgeCredential, -EdgeCredentialPath and -EdgeUseSsl go with -EdgeServer'
    }
    if ($ConnectExchangeOnline) {
        # The ExchangeOnlineManagement module runs in Windows PowerShell 5.1 and PowerShell 7, not in the Exchange 2010 shell.
        if ($PowerShellVersion -lt [Version] '5.1') {
            Stop-Collection "-ConnectExchangeOnline needs Windows PowerShell 5.1; this is PowerShell $PowerShellVersion: leave it out and let the service read Exchange Online"
        }
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
    $keyText = [System.IO.File]::ReadAllText($path).Trim()
    # ConvertFrom-SecureString without -Key writes a DPAPI blob, which always starts with these bytes (as hex).
    if ($keyText -match '^01000000d08c9ddf0115d1118c7a00c04fc297eb[0-9a-f]+$') {
        $secure = ConvertTo-SecureString -String $keyText
        $keyText = (New-Object -TypeName System.Net.NetworkCredential -ArgumentList '', $secure).Password
    }
    if (-not $keyText -or $keyText -match '\s') { Stop-Collection "-FunctionKeyPath '$FunctionKeyPath' holds no key (expected one line without spaces)" }
    $keyText
}

function ConvertFrom-JsonText {
    # PowerShell 2.0 has no ConvertFrom-Json; the JavaScriptSerializer of .NET 3.5, which ConvertFrom-Json is built on,
    # reads the same JSON into dictionaries and arrays (Get-OptionalProperty and Test-Member read both).
    param([string] $Json)
    if ($PowerShellVersion.Major -ge 3) {
        $parsed = $Json | ConvertFrom-Json
        return , $parsed
    }
    Add-Type -AssemblyName System.Web.Extensions
    $serializer = New-Object -TypeName System.Web.Script.Serialization.JavaScriptSerializer
    $serializer.MaxJsonLength = [int]::MaxValue
    , $serializer.DeserializeObject($Json)
}

function Read-Allowlist {
    $path = Resolve-FullPath $AllowlistPath
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Stop-Collection "-AllowlistPath '$AllowlistPath' is not a file" }
    # ReadAllText honours a byte order mark (Windows PowerShell's Out-File writes UTF-16) and reads UTF-8 otherwise.
    try {
        $parsed = ConvertFrom-JsonText -Json ([System.IO.File]::ReadAllText($path))
    } catch {
        Stop-Collection "-AllowlistPath '$AllowlistPath' is not JSON: $($_.Exception.Message)"
    }
    if (Test-Member $parsed 'allowlists') { $parsed = Get-OptionalProperty $parsed 'allowlists' }
    $lists = @(@($parsed) | Where-Object { $null -ne $_ })
    if ($lists.Count -eq 0) { Stop-Collection "-AllowlistPath '$AllowlistPath' lists no allowlists" }
    for ($i = 0; $i -lt $lists.Count; $i++) {
        if (-not (Test-Member $lists[$i] 'name') -or -not (Test-Member $lists[$i] 'entries')) {
            Stop-Collection "-AllowlistPath '$AllowlistPath': allowlists[$i] needs ""name"" and ""entries"""
        }
    }
    $lists
}

function Read-EgressAddress {
    foreach ($entry in @($EgressAddress)) {
        $address = $null
        if (-not [System.Net.IPAddress]::TryParse($entry, [ref] $address)) {
            Stop-Collection "-EgressAddress '$entry' is not an IP address (expected such as 203.0.113.25 or 2001:db8::25)"
        }
        $address.ToString()
    }
}

function Read-Probe {
    foreach ($file in @($ProbePath)) {
        $path = Resolve-FullPath $file
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Stop-Collection "-ProbePath '$file' is not a file" }
        try {
            $parsed = ConvertFrom-JsonText -Json ([System.IO.File]::ReadAllText($path))
        } catch {
            Stop-Collection "-ProbePath '$file' is not JSON: $($_.Exception.Message)"
        }
        foreach ($result in @($parsed)) {
            if (-not (Test-Member $result 'host') -or -not (Test-Member $result 'ehlo')) {
                Stop-Collection "-ProbePath '$file' is not what mailflow-guard probe --json writes (expected results with ""host"" and ""ehlo"")"
            }
            $result
        }
    }
}

function Select-ExchangeObject {
    process {
        $item = $_
        if ($Format -eq 'Json') {
            $item | Select-Object -Property * -ExcludeProperty $NotExchangeProperties
        } else {
            # CLIXML keeps the object as Exchange returned it, type names and enums included; only the session's additions go.
            foreach ($name in @($NotExchangeProperties)) {
                if ($null -ne $item.PSObject.Properties[$name]) { $item.PSObject.Properties.Remove($name) }
            }
            $item
        }
    }
}

function Get-EdgeCredential {
    if ($EdgeCredential) { return $EdgeCredential }
    if (-not $EdgeCredentialPath) { return $null }
    $path = Resolve-FullPath $EdgeCredentialPath
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Stop-Collection "-EdgeCredentialPath '$EdgeCredentialPath' is not a file" }
    $saved = Import-CliXmlText -Text ([System.IO.File]::ReadAllText($path))
    if ($saved -is [System.Management.Automation.PSCredential]) { return $saved }
    Stop-Collection "-EdgeCredentialPath '$EdgeCredentialPath' holds no credential (expected a credential that this account saved with Export-Clixml)"
}

function Test-EdgePart {
    # A file or answer that is not what Read-LocalEdgeTransport writes: its reason, or nothing when it is one.
    param($Part)
    if (-not ($Part -is [System.Collections.IDictionary]) -or [string] (Get-OptionalProperty $Part 'format') -ne $EdgePartFormat) {
        return 'it is not what Collect-MailflowState.ps1 -EdgeOutFile writes'
    }
    if (-not [string] (Get-OptionalProperty $Part 'server')) { return 'it names no server' }
    $null
}

function Read-EdgeTransport {
    # The Edges' parts, each a dictionary as Read-LocalEdgeTransport made it; what could not be read goes to notCollected.
    $edgeParts = @('onPremises.receiveConnectors', 'onPremises.exchangeCertificates')
    if ($EdgeServer) {
        $credential = Get-EdgeCredential
        $reader = New-EdgeTransportReader
        foreach ($name in @($EdgeServer)) {
            Write-Log "reading Edge Transport server $name over PowerShell remoting"
            $invoke = @{ ComputerName = $name; ScriptBlock = $reader; ArgumentList = @($CliXmlDepth, $EdgePartFormat); ErrorAction = 'Stop' }
            if ($null -ne $credential) { $invoke['Credential'] = $credential }
            if ($EdgeUseSsl) { $invoke['UseSSL'] = $true }
            $problem = $null
            $part = $null
            try {
                $answer = @(Invoke-Command @invoke | Where-Object { $_ -is [string] -and ([string] $_).StartsWith('<Objs') })
                if ($answer.Count -ne 1) { throw 'it returned no CLIXML' }
                $part = Import-CliXmlText -Text ([string] $answer[0])
                $problem = Test-EdgePart $part
            } catch {
                $problem = $_.Exception.Message
            }
            if ($problem) {
                foreach ($p in @($edgeParts)) { Add-NotCollected -Part $p -ServerName $name -Reason "could not read it over PowerShell remoting: $problem" }
            } else {
                $part
            }
        }
    }
    foreach ($file in @($EdgeStatePath)) {
        $path = Resolve-FullPath $file
        $problem = $null
        $part = $null
        try {
            if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw 'there is no such file' }
            $part = Import-CliXmlText -Text ([System.IO.File]::ReadAllText($path))
            $problem = Test-EdgePart $part
        } catch {
            $problem = $_.Exception.Message
        }
        if ($problem) {
            # The file does not say which Edge it is for: its path stands in for the server.
            foreach ($p in @($edgeParts)) { Add-NotCollected -Part $p -ServerName $file -Reason "-EdgeStatePath '$file' could not be used: $problem" }
            continue
        }
        $edge = [string] (Get-OptionalProperty $part 'server')
        $written = [string] (Get-OptionalProperty $part 'collectedAt')
        $at = [DateTime]::MinValue
        $parsed = [DateTime]::TryParse($written, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind, [ref] $at)
        # A file the Edge stopped writing would show connectors and certificates that may have changed since.
        if (-not $parsed -or ([DateTime]::UtcNow - $at.ToUniversalTime()).TotalHours -gt 48) {
            foreach ($p in @($edgeParts)) { Add-NotCollected -Part $p -ServerName $edge -Reason "-EdgeStatePath '$file' was written at '$written', more than two days ago" }
            continue
        }
        Write-Log "read Edge Transport server $edge from $path (written at $written)"
        $part
    }
}

function Get-OnPremisesState {
    $listed = $null
    try {
        $listed = @(Get-ExchangeServer)
    } catch {
        if ($Server.Count -eq 0) { Stop-Collection "could not list the Exchange servers (name them with -Server): $($_.Exception.Message)" }
        Write-Log "could not list the Exchange servers, so the Edge Transport servers are not known: $($_.Exception.Message)"
    }
    $names = @()
    $knownEdges = @()
    foreach ($entry in @($listed | Where-Object { $null -ne $_ })) {
        $name = [string] (Get-OptionalProperty $entry 'Name')
        # An Edge is listed once it is subscribed (EdgeSync), but its connectors and certificates are not in Active Directory.
        if ([string] (Get-OptionalProperty $entry 'ServerRole') -match 'Edge') { $knownEdges += $name } else { $names += $name }
    }
    if ($Server.Count -gt 0) { $names = @($Server) }
    if ($names.Count -eq 0) { Stop-Collection 'found no Exchange server to read (Get-ExchangeServer returned none that is not Edge)' }
    Write-Log ('reading on-premises Exchange: servers {0}' -f ($names -join ', '))

    $receive = New-Object -TypeName System.Collections.ArrayList
    $certificates = New-Object -TypeName System.Collections.ArrayList
    $receiveRead = 0
    $certificatesRead = 0
    foreach ($name in @($names)) {
        try {
            $read = @(Get-ReceiveConnector -Server $name | Select-ExchangeObject)
            foreach ($connector in @($read)) { [void] $receive.Add($connector) }
            $receiveRead++
        } catch {
            Add-NotCollected -Part 'onPremises.receiveConnectors' -ServerName $name -Reason $_.Exception.Message
        }
        try {
            $read = @(Get-ExchangeCertificate -Server $name | ForEach-Object { ConvertTo-CertificateRecord -Certificate $_ -ServerName $name })
            foreach ($certificate in @($read)) { [void] $certificates.Add($certificate) }
            $certificatesRead++
        } catch {
            Add-NotCollected -Part 'onPremises.exchangeCertificates' -ServerName $name -Reason $_.Exception.Message
        }
    }

    $edgesRead = @()
    foreach ($part in @(Read-EdgeTransport)) {
        $edge = [string] (Get-OptionalProperty $part 'server')
        if ($edgesRead -contains $edge) {
            Write-Log "Edge Transport server $edge was given twice; only its first part is used"
            continue
        }
        $edgesRead += $edge
        # Get-OptionalProperty returns a list whole: assigned first, it is then enumerated item by item.
        if (Test-Member $part 'receiveConnectors') {
            $read = Get-OptionalProperty $part 'receiveConnectors'
            foreach ($connector in @($read)) {
                if ($null -ne $connector) { [void] $receive.Add(($connector | Select-ExchangeObject)) }
            }
            $receiveRead++
        }
        if (Test-Member $part 'exchangeCertificates') {
            $read = Get-OptionalProperty $part 'exchangeCertificates'
            foreach ($certificate in @($read)) {
                if ($null -ne $certificate) { [void] $certificates.Add($certificate) }
            }
            $certificatesRead++
        }
        $missing = Get-OptionalProperty $part 'notCollected'
        foreach ($entry in @($missing)) {
            if ($null -ne $entry) {
                Add-NotCollected -Part ([string] (Get-OptionalProperty $entry 'part')) -ServerName $edge -Reason ([string] (Get-OptionalProperty $entry 'reason'))
            }
        }
    }
    $edgesTried = @($edgesRead) + @(foreach ($name in @($EdgeServer)) { @($name -split '\.')[0] })
    foreach ($edge in @($knownEdges)) {
        if ($edgesTried -notcontains $edge) {
            $reason = 'an Edge Transport server, whose receive connectors and certificates are not in Active Directory: name it with -EdgeServer or give its -EdgeStatePath file'
            Add-NotCollected -Part 'onPremises.receiveConnectors' -ServerName $edge -Reason $reason
            Add-NotCollected -Part 'onPremises.exchangeCertificates' -ServerName $edge -Reason $reason
        }
    }
    if ($Format -eq 'Json') {
        # JSON carries bytes as base64, the DER as the service reads it; CLIXML keeps RawData a byte array.
        foreach ($certificate in @($certificates)) {
            $raw = $certificate.PSObject.Properties['RawData']
            if ($null -ne $raw -and $null -ne $raw.Value) { $raw.Value = [Convert]::ToBase64String([byte[]] $raw.Value) }
        }
    }

    # A part is in the document when it was read on at least one server; the servers it was not read on are in notCollected.
    $state = New-Object -TypeName System.Collections.Specialized.OrderedDictionary
    $counts = @{ sendConnectors = 0; acceptedDomains = 0; remoteDomains = 0 }
    if ($receiveRead -gt 0) { $state['receiveConnectors'] = $receive.ToArray() }
    try {
        $state['sendConnectors'] = @(Get-SendConnector | Select-ExchangeObject)
        $counts['sendConnectors'] = @($state['sendConnectors']).Count
    } catch {
        Add-NotCollected -Part 'onPremises.sendConnectors' -Reason $_.Exception.Message
    }
    if ($certificatesRead -gt 0) { $state['exchangeCertificates'] = $certificates.ToArray() }
    try {
        $state['acceptedDomains'] = @(Get-AcceptedDomain | Select-ExchangeObject)
        $counts['acceptedDomains'] = @($state['acceptedDomains']).Count
    } catch {
        Add-NotCollected -Part 'onPremises.acceptedDomains' -Reason $_.Exception.Message
    }
    try {
        $state['remoteDomains'] = @(Get-RemoteDomain | Select-ExchangeObject)
        $counts['remoteDomains'] = @($state['remoteDomains']).Count
    } catch {
        Add-NotCollected -Part 'onPremises.remoteDomains' -Reason $_.Exception.Message
    }
    $hybridState = 'not read'
    try {
        $hybrid = @(Get-HybridConfiguration | Select-ExchangeObject)
        # An organization that never ran the Hybrid Configuration Wizard has none: an empty list says "read, none".
        if ($hybrid.Count -gt 0) {
            $state['hybridConfiguration'] = $hybrid[0]
            $hybridState = 'present'
        } else {
            $state['hybridConfiguration'] = @()
            $hybridState = 'absent'
        }
    } catch {
        Add-NotCollected -Part 'onPremises.hybridConfiguration' -Reason $_.Exception.Message
    }
    Write-Log ('on-premises: {0} receive connectors, {1} send connectors, {2} certificates, {3} accepted domains, {4} remote domains, hybrid configuration {5}, Edge Transport servers read: {6}' -f
        $receive.Count, $counts['sendConnectors'], $certificates.Count, $counts['acceptedDomains'], $counts['remoteDomains'], $hybridState, $edgesRead.Count)
    $state
}

function Get-ExchangeOnlineState {
    $org = $Organization
    if (-not $org) { $org = $Tenant }
    Write-Log "connecting to Exchange Online ($org, $($OnlineEnvironments[$Instance])) as app $AppId"
    try {
        Import-Module -Name ExchangeOnlineManagement -MinimumVersion 3.0.0
        # -Prefix keeps Exchange Online's cmdlets apart from the on-premises ones of the same name in this session:
        # Get-InboundConnector becomes Get-CloudInboundConnector (learn.microsoft.com, Connect-ExchangeOnline, -Prefix).
        # The prefix EXO is reserved for the module's own nine Get-EXO* cmdlets (Get-EXOMailbox, Get-EXORecipient, ...),
        # so it cannot be used; no on-premises or module cmdlet is named Get-Cloud*.
        Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $CertificateThumbprint -Organization $org `
            -ExchangeEnvironmentName $OnlineEnvironments[$Instance] -Prefix Cloud -ShowBanner:$false -ShowProgress $false
    } catch {
        Add-NotCollected -Part 'exchangeOnline' -Reason "could not connect to Exchange Online: $($_.Exception.Message)"
        return
    }
    $state = New-Object -TypeName System.Collections.Specialized.OrderedDictionary
    $counts = @{ inboundConnectors = 0; outboundConnectors = 0; acceptedDomains = 0; remoteDomains = 0 }
    try {
        try {
            $state['inboundConnectors'] = @(Get-CloudInboundConnector -ResultSize Unlimited | Select-ExchangeObject)
            $counts['inboundConnectors'] = @($state['inboundConnectors']).Count
        } catch {
            Add-NotCollected -Part 'exchangeOnline.inboundConnectors' -Reason $_.Exception.Message
        }
        try {
            $state['outboundConnectors'] = @(Get-CloudOutboundConnector -ResultSize Unlimited | Select-ExchangeObject)
            $counts['outboundConnectors'] = @($state['outboundConnectors']).Count
        } catch {
            Add-NotCollected -Part 'exchangeOnline.outboundConnectors' -Reason $_.Exception.Message
        }
        try {
            $state['acceptedDomains'] = @(Get-CloudAcceptedDomain -ResultSize Unlimited | Select-ExchangeObject)
            $counts['acceptedDomains'] = @($state['acceptedDomains']).Count
        } catch {
            Add-NotCollected -Part 'exchangeOnline.acceptedDomains' -Reason $_.Exception.Message
        }
        try {
            $state['remoteDomains'] = @(Get-CloudRemoteDomain -ResultSize Unlimited | Select-ExchangeObject)
            $counts['remoteDomains'] = @($state['remoteDomains']).Count
        } catch {
            Add-NotCollected -Part 'exchangeOnline.remoteDomains' -Reason $_.Exception.Message
        }
    } finally {
        Disconnect-ExchangeOnline -Confirm:$false
    }
    Write-Log ('Exchange Online: {0} inbound connectors, {1} outbound connectors, {2} accepted domains, {3} remote domains' -f
        $counts['inboundConnectors'], $counts['outboundConnectors'], $counts['acceptedDomains'], $counts['remoteDomains'])
    $state
}

function Write-TextFile {
    param([string] $Path, [string] $Content)
    $full = Resolve-FullPath $Path
    $temporary = "$full.partial"
    # Out-File and Set-Content -Encoding UTF8 write a byte order mark in Windows PowerShell; this encoding does not.
    [System.IO.File]::WriteAllText($temporary, $Content, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))
    if (Test-Path -LiteralPath $full) {
        [System.IO.File]::Replace($temporary, $full, $null)
    } else {
        [System.IO.File]::Move($temporary, $full)
    }
    Write-Log "wrote $($Content.Length) characters to $full"
}

function Enable-Tls12 {
    # Azure refuses TLS 1.0 and 1.1. .NET 3.5 (PowerShell 2.0) and 4.0 have no name for TLS 1.2 and PowerShell will not
    # cast an undefined value to the enum, so Enum.ToObject makes 3072 (Tls12); .NET 3.5 takes it once updated.
    $protocols = ([int] [System.Net.ServicePointManager]::SecurityProtocol) -bor 3072
    try {
        [System.Net.ServicePointManager]::SecurityProtocol = [System.Enum]::ToObject([System.Net.SecurityProtocolType], $protocols)
    } catch {
        Stop-Collection ('this .NET cannot use TLS 1.2, which the upload needs: install the .NET 3.5 update of KB3154518 (Windows Server 2008 R2 SP1), ' +
            'KB3154519 (2012) or KB3154520 (2012 R2), or write -OutFile and upload it from another machine')
    }
}

function Get-WebErrorText {
    # The service answers a refused document with one line that names the entry; keep it, drop the rest.
    param($ErrorRecord)
    $exception = $ErrorRecord.Exception
    while ($null -ne $exception -and -not ($exception -is [System.Net.WebException])) { $exception = $exception.InnerException }
    if ($null -eq $exception) { return ConvertTo-OneLine $ErrorRecord.Exception.Message }
    $detail = $exception.Message
    $response = $exception.Response
    if ($null -ne $response) {
        $reader = New-Object -TypeName System.IO.StreamReader -ArgumentList ($response.GetResponseStream())
        try {
            $responseText = $reader.ReadToEnd()
        } finally {
            $reader.Close()
            $response.Close()
        }
        if ($responseText) { $detail = '{0} {1}' -f [int] $response.StatusCode, $responseText }
    }
    ConvertTo-OneLine $detail
}

function Send-Document {
    param([string] $Content, [string] $ContentType, [string] $Key)
    Enable-Tls12
    # Bytes go as they are; the charset says which.
    $body = [System.Text.Encoding]::UTF8.GetBytes($Content)
    $target = ([Uri] $IngestUrl).GetLeftPart([UriPartial]::Path)
    # HttpWebRequest, not Invoke-RestMethod: PowerShell 2.0 has none.
    $request = [System.Net.WebRequest]::Create($IngestUrl)
    $request.Method = 'POST'
    $request.ContentType = $ContentType
    $request.Headers.Add('x-functions-key', $Key)
    # A redirect would take the key to another address.
    $request.AllowAutoRedirect = $false
    $request.Timeout = 120000
    $request.ReadWriteTimeout = 120000
    $request.ContentLength = $body.Length
    $status = 0
    try {
        $stream = $request.GetRequestStream()
        try {
            $stream.Write($body, 0, $body.Length)
        } finally {
            $stream.Close()
        }
        $response = $request.GetResponse()
        $status = [int] $response.StatusCode
        $response.Close()
    } catch {
        Stop-Collection ("the upload to $target failed: " + (Get-WebErrorText $_))
    }
    if ($status -lt 200 -or $status -gt 299) { Stop-Collection "the upload to $target was answered $status (expected 2xx; a redirect is not followed)" }
    Write-Log "uploaded $($body.Length) bytes to $target"
}

$LogLabel = $Tenant
if ($EdgeOutFile) { $LogLabel = "edge $env:COMPUTERNAME" }

try {
    # PowerShell 2.0 runs a foreach once over $null, and a scheduled task passes "a,b" as one value.
    $EgressAddress = @(Split-List $EgressAddress)
    $ProbePath = @(Split-List $ProbePath)
    $Server = @(Split-List $Server)
    $EdgeServer = @(Split-List $EdgeServer)
    $EdgeStatePath = @(Split-List $EdgeStatePath)
    if (-not $Format -and -not $EdgeOutFile) {
        # ConvertTo-Json came with PowerShell 3.0; the Exchange 2010 shell is 2.0.
        if ($PowerShellVersion.Major -ge 3) { $Format = 'Json' } else { $Format = 'CliXml' }
    }
    Test-Parameter

    if ($EdgeOutFile) {
        Write-Log 'reading this Edge Transport server'
        $serialised = Read-LocalEdgeTransport -Depth $CliXmlDepth -PartFormat $EdgePartFormat
        # Only public certificates are selected; this is the last check before anything leaves the machine.
        if ($serialised -match 'PRIVATE KEY') { Stop-Collection 'the Edge part contains a private key; nothing was written' }
        Write-TextFile -Path $EdgeOutFile -Content $serialised
        Write-Output "Collect-MailflowState: wrote the Edge Transport part of $env:COMPUTERNAME to $(Resolve-FullPath $EdgeOutFile)"
    } else {
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
                # Exchange 2013 and later's shortcut adds -ClientApplication:ManagementShell; Exchange 2010's has -auto alone.
                $connect = @{ auto = $true }
                if ((Get-Command -Name Connect-ExchangeServer).Parameters.ContainsKey('ClientApplication')) { $connect['ClientApplication'] = 'ManagementShell' }
                Connect-ExchangeServer @connect
            } finally {
                Set-StrictMode -Version Latest
                $ErrorActionPreference = 'Stop'
            }
            if (-not (Get-Command -Name Get-ExchangeServer -ErrorAction SilentlyContinue)) {
                Stop-Collection 'could not connect to Exchange: Connect-ExchangeServer -auto found no server to use'
            }
        }

        $key = $null
        if ($IngestUrl) { $key = Read-FunctionKey }
        $allowlists = @()
        if ($AllowlistPath) { $allowlists = @(Read-Allowlist) }
        $egress = @(Read-EgressAddress)
        $probes = @(Read-Probe)

        $document = New-Object -TypeName System.Collections.Specialized.OrderedDictionary
        $document['tenant'] = $Tenant.ToLowerInvariant()
        $document['instance'] = $Instance
        $document['collectedAt'] = (Get-Date).ToUniversalTime().ToString('o')
        $document['onPremises'] = Get-OnPremisesState
        if ($ConnectExchangeOnline) {
            $online = Get-ExchangeOnlineState
            if ($null -ne $online) { $document['exchangeOnline'] = $online }
        }
        if ($allowlists.Count -gt 0) { $document['allowlists'] = $allowlists }
        if ($egress.Count -gt 0) { $document['egressAddresses'] = $egress }
        if ($probes.Count -gt 0) { $document['probes'] = $probes }
        if ($NotCollected.Count -gt 0) { $document['notCollected'] = $NotCollected.ToArray() }

        if ($Format -eq 'Json') {
            # Depth 6 reaches the items of the connectors' lists (an IPRange object under RemoteIPRanges is level 5).
            $serialised = ConvertTo-Json -InputObject $document -Depth 6
            $contentType = 'application/json; charset=utf-8'
        } else {
            $serialised = ConvertTo-CliXmlText -InputObject $document -Depth $CliXmlDepth
            $contentType = 'application/xml; charset=utf-8'
        }
        # Only public certificates are selected above; this is the last check before anything leaves the machine.
        if ($serialised -match 'PRIVATE KEY') { Stop-Collection 'the document contains a private key; nothing was written or uploaded' }

        if ($OutFile) { Write-TextFile -Path $OutFile -Content $serialised } else { Send-Document -Content $serialised -ContentType $contentType -Key $key }
        Write-Output "Collect-MailflowState: $Tenant collected at $($document['collectedAt']) as $Format; parts not collected: $($NotCollected.Count)"
    }
    exit 0
} catch {
    $message = ($_.Exception.Message -replace '\s+', ' ').Trim()
    # One line on stderr for the task's history; Write-Error would add the script position over several lines.
    [Console]::Error.WriteLine("Collect-MailflowState: $LogLabel`: $message")
    try {
        Write-Log "failed: $message"
    } catch {
        [Console]::Error.WriteLine("Collect-MailflowState: could not write -LogPath: $($_.Exception.Message)")
    }
    exit 1
}
